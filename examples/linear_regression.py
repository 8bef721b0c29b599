"""Linear regression with ``autograd.grad``, after the example in "Automatic differentiation in
PyTorch" (Paszke et al., 2017), written with chainrule.

B = 1000 samples of F = 10 features, targets from a hidden linear map plus noise; the weights are
fitted by 100 steps of gradient descent on the mean squared error, taking the gradient with
``chainrule.autograd.grad`` instead of ``.backward()``.

    python examples/linear_regression.py
"""

from __future__ import annotations

import chainrule as cr


def fit(B: int = 1000, F: int = 10, steps: int = 100, lr: float = 0.1, seed: int = 0,
        verbose: bool = True):
    """Fit the weights; returns (the list of losses, the fitted W, the true W)."""
    gen = cr.Generator(seed)
    X = cr.randn(B, F, generator=gen)
    W_true = cr.randn(F, 1, generator=gen)
    Y = X @ W_true + 0.1 * cr.randn(B, 1, generator=gen)

    W = cr.zeros(F, 1, requires_grad=True)
    losses = []
    for step in range(steps):
        loss = ((X @ W - Y) ** 2).mean()
        (dW,) = cr.autograd.grad(loss, W)
        with cr.no_grad():
            W -= lr * dW
        losses.append(loss.item())
        if verbose and (step % 10 == 0 or step == steps - 1):
            print(f"step {step:3d}: loss {loss.item():.6f}")
    return losses, W.detach(), W_true


def main(steps: int = 100) -> list[float]:
    losses, W, W_true = fit(steps=steps)
    error = (W - W_true).abs().max().item()
    print(f"loss {losses[0]:.4f} -> {losses[-1]:.4f}; largest weight error {error:.4f}")
    return losses


if __name__ == "__main__":
    main()
