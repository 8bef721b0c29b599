"""Fitting y = sin(x) on [-pi, pi] with a cubic, three ways, in the style of PyTorch's
"Learning PyTorch with examples": tensors and autograd with hand-written updates, the ``nn``
package, and an ``optim`` optimizer."""

import math

import chainrule as torch


def _data(n=2000):
    x = torch.linspace(-math.pi, math.pi, n, dtype=torch.float32)
    return x, torch.sin(x)


def with_autograd(steps=2000, lr=1e-6):
    x, y = _data()
    torch.manual_seed(0)
    a, b, c, d = (torch.randn((), dtype=torch.float32, requires_grad=True) for _ in range(4))
    for t in range(steps):
        y_pred = a + b * x + c * x**2 + d * x**3
        loss = (y_pred - y).pow(2).sum()
        if t % 500 == 499:
            print(t, loss.item())
        loss.backward()
        with torch.no_grad():
            for p in (a, b, c, d):
                p -= lr * p.grad
                p.grad = None
    return loss.item()


def with_nn(steps=2000, lr=1e-6):
    x, y = _data()
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)  # (2000, 3): x, x^2, x^3
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    loss_fn = torch.nn.MSELoss(reduction="sum")
    for t in range(steps):
        loss = loss_fn(model(xx), y)
        if t % 500 == 499:
            print(t, loss.item())
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= lr * param.grad
    linear = model[0]
    print(f"y = {linear.bias.item():.3f} + {linear.weight[:, 0].item():.3f} x + "
          f"{linear.weight[:, 1].item():.3f} x^2 + {linear.weight[:, 2].item():.3f} x^3")
    return loss.item()


def with_optim(steps=1000, lr=1e-3):
    x, y = _data()
    xx = x.unsqueeze(-1).pow(torch.tensor([1, 2, 3]))
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    loss_fn = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.RMSprop(model.parameters(), lr=lr)
    for t in range(steps):
        loss = loss_fn(model(xx), y)
        if t % 250 == 249:
            print(t, loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


def main() -> dict:
    return {"autograd": with_autograd(), "nn": with_nn(), "optim": with_optim()}


if __name__ == "__main__":
    main()
