"""An MLP that reads handwritten digits, trained with chainrule.

The data is scikit-learn's bundled ``load_digits`` (1797 grey 8x8 images of the digits 0-9; no
download). A quarter is held out for testing; the network (64 -> 128 -> 64 -> 10, ReLU) is
trained with Adam on mini-batches of the rest. It reaches about 97% test accuracy.

    python examples/digits_mlp.py
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn, optim


def load_data(seed: int = 0):
    """Images scaled to [0, 1] as float32 rows of 64 pixels, split 75/25 (stratified)."""
    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32)
    return train_test_split(X, digits.target.astype(np.int64), test_size=0.25,
                            random_state=seed, stratify=digits.target)


def make_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(64, 128), nn.ReLU(),
        nn.Linear(128, 64), nn.ReLU(),
        nn.Linear(64, 10),
    )


def accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    model.eval()
    with cr.no_grad():
        predicted = model(cr.tensor(X)).argmax(dim=1).numpy()
    model.train()
    return float((predicted == y).mean())


def train(epochs: int = 30, batch_size: int = 64, lr: float = 1e-3, seed: int = 0,
          verbose: bool = True):
    """Train the MLP; returns (model, test accuracy)."""
    cr.manual_seed(seed)
    rng = np.random.default_rng(seed)
    X_train, X_test, y_train, y_test = load_data(seed)
    model = make_model()
    opt = optim.Adam(model.parameters(), lr=lr)

    for epoch in range(epochs):
        order = rng.permutation(len(X_train))
        total = 0.0
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            xb, yb = cr.tensor(X_train[idx]), cr.tensor(y_train[idx])
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        if verbose and (epoch % 5 == 4 or epoch == epochs - 1):
            print(f"epoch {epoch + 1:3d}: train loss {total / len(X_train):.4f}  "
                  f"test accuracy {accuracy(model, X_test, y_test):.2%}")

    return model, accuracy(model, X_test, y_test)


def main(epochs: int = 30) -> float:
    _, test_accuracy = train(epochs=epochs)
    print(f"test accuracy: {test_accuracy:.2%}")
    return test_accuracy


if __name__ == "__main__":
    main()
