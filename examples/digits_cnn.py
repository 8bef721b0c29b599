"""A small convolutional network that reads handwritten digits, trained with chainrule.

scikit-learn's bundled ``load_digits`` (1797 grey 8x8 images; no download), a quarter held out
for testing. Two 3x3 convolutions with ReLU and 2x2 max pooling (8x8 -> 4x4 -> 2x2), then a
linear classifier; Adam on mini-batches with a cosine learning-rate schedule. It reaches about
98% test accuracy.

    python examples/digits_cnn.py
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn, optim


def load_data(seed: int = 0):
    """Images scaled to [0, 1], shaped (N, 1, 8, 8) float32, split 75/25 (stratified)."""
    digits = load_digits()
    X = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    return train_test_split(X, digits.target.astype(np.int64), test_size=0.25,
                            random_state=seed, stratify=digits.target)


def make_model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 32 x 4 x 4
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 64 x 2 x 2
        nn.Flatten(),
        nn.Linear(64 * 2 * 2, 10),
    )


def accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    model.eval()
    with cr.no_grad():
        predicted = model(cr.tensor(X)).argmax(dim=1).numpy()
    model.train()
    return float((predicted == y).mean())


def train(epochs: int = 20, batch_size: int = 32, lr: float = 5e-3, seed: int = 0,
          verbose: bool = True):
    """Train the CNN; returns (model, test accuracy)."""
    cr.manual_seed(seed)
    rng = np.random.default_rng(seed)
    X_train, X_test, y_train, y_test = load_data(seed)
    model = make_model()
    opt = optim.Adam(model.parameters(), lr=lr)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)

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
        sched.step()
        if verbose:
            print(f"epoch {epoch + 1:3d}: train loss {total / len(X_train):.4f}  "
                  f"test accuracy {accuracy(model, X_test, y_test):.2%}")

    return model, accuracy(model, X_test, y_test)


def main(epochs: int = 20) -> float:
    _, test_accuracy = train(epochs=epochs)
    print(f"test accuracy: {test_accuracy:.2%}")
    return test_accuracy


if __name__ == "__main__":
    main()
