"""A custom ``autograd.Function``, in the style of PyTorch's LegendrePolynomial3 example:
y = a + b * P3(c + d * x) fitted to sin(x), with P3's derivative written by hand."""

import math

import chainrule as torch


class LegendrePolynomial3(torch.autograd.Function):
    """P3(t) = (5 t^3 - 3 t) / 2, with P3'(t) = 1.5 (5 t^2 - 1)."""

    @staticmethod
    def forward(ctx, t):
        ctx.save_for_backward(t)
        return 0.5 * (5 * t**3 - 3 * t)

    @staticmethod
    def backward(ctx, grad_output):
        (t,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * t**2 - 1)


def main(steps=2000, lr=5e-6) -> dict:
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=torch.float64)
    y = torch.sin(x)
    a = torch.full((), 0.0, dtype=torch.float64, requires_grad=True)
    b = torch.full((), -1.0, dtype=torch.float64, requires_grad=True)
    c = torch.full((), 0.0, dtype=torch.float64, requires_grad=True)
    d = torch.full((), 0.3, dtype=torch.float64, requires_grad=True)
    P3 = LegendrePolynomial3.apply
    first = None
    for t in range(steps):
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        first = loss.item() if first is None else first
        if t % 500 == 499:
            print(t, loss.item())
        loss.backward()
        with torch.no_grad():
            for p in (a, b, c, d):
                p -= lr * p.grad
                p.grad = None
    print(f"y = {a.item():.3f} + {b.item():.3f} * P3({c.item():.3f} + {d.item():.3f} x)")
    # the hand-written derivative agrees with finite differences
    t0 = torch.randn(6, dtype=torch.float64, requires_grad=True)
    ok = torch.autograd.gradcheck(P3, (t0,))
    return {"first": first, "last": loss.item(), "gradcheck": ok}


if __name__ == "__main__":
    main()
