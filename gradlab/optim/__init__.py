"""``gradlab.optim``: optimizers that replace the hand-written ``p -= lr * p.grad`` update.

>>> optimizer = optim.SGD(model.parameters(), lr=0.01)
>>> optimizer.zero_grad(); loss.backward(); optimizer.step()

Each update follows PyTorch's algorithm and order of float operations, so from the same
parameters and gradients the trajectories agree with PyTorch's to float32 precision.
"""

from gradlab.optim import lr_scheduler
from gradlab.optim.adagrad import Adagrad
from gradlab.optim.adam import Adam, AdamW
from gradlab.optim.optimizer import Optimizer
from gradlab.optim.rmsprop import RMSprop
from gradlab.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
