"""A short tour: ``python -m chainrule.demo``.

Shows a gradient, a higher-order derivative checked against its closed form, a finite-difference
gradcheck, and a small least-squares fit by gradient descent.
"""

from __future__ import annotations

import numpy as np

import chainrule as cr


def main() -> None:
    print("chainrule", cr.__version__, "- exact derivatives of NumPy code\n")

    # 1. A gradient, the PyTorch way.
    x = cr.tensor([0.5, 1.0, 2.0], requires_grad=True)
    y = (cr.sin(x) * x**2).sum()
    y.backward()
    xv = x.detach().numpy()
    expected = np.cos(xv) * xv**2 + 2 * xv * np.sin(xv)
    print("1. d/dx sum(sin(x) x^2) at x =", xv)
    print("   chainrule:", x.grad.numpy())
    print("   by hand:  ", expected)

    # 2. Higher order: the third derivative of tanh, by differentiating derivatives.
    t = cr.tensor(0.3, requires_grad=True)
    (d1,) = cr.grad(cr.tanh(t), t, create_graph=True)
    (d2,) = cr.grad(d1, t, create_graph=True)
    (d3,) = cr.grad(d2, t)
    th = np.tanh(0.3)
    closed = -2 * (1 - th**2) * (1 - 3 * th**2)
    print(f"\n2. third derivative of tanh at 0.3: {d3.item():.12f} (closed form {closed:.12f})")

    # 3. gradcheck: analytical against finite differences, first and second order.
    a = cr.randn(3, 4, generator=cr.Generator(0), requires_grad=True)
    b = cr.randn(4, 2, generator=cr.Generator(1), requires_grad=True)
    f = lambda a, b: cr.logsumexp(cr.tanh(a @ b), dim=1)
    ok = cr.autograd.gradcheck(f, (a, b)) and cr.autograd.gradgradcheck(f, (a, b))
    verdict = "passed" if ok else "FAILED"
    print(f"\n3. gradcheck and gradgradcheck of logsumexp(tanh(a @ b)): {verdict}")

    # 4. A small fit: y = w x + b with noise, by gradient descent on the mean squared error.
    rng = cr.Generator(42)
    xs = cr.linspace(-1, 1, 50)
    ys = 3.0 * xs - 0.5 + 0.1 * cr.randn(50, generator=rng)
    w = cr.zeros(1, requires_grad=True)
    c = cr.zeros(1, requires_grad=True)
    print("\n4. fitting y = w x + c by gradient descent")
    for step in range(201):
        loss = ((w * xs + c - ys) ** 2).mean()
        gw, gc = cr.grad(loss, [w, c])
        with cr.no_grad():
            w = (w - 0.5 * gw).requires_grad_()
            c = (c - 0.5 * gc).requires_grad_()
        if step % 50 == 0:
            print(f"   step {step:3d}  loss {loss.item():.5f}  "
                  f"w {w.item():+.4f}  c {c.item():+.4f}")
    print("   true values: w +3.0000  c -0.5000")


if __name__ == "__main__":
    main()
