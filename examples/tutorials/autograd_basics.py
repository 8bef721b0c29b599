"""Autograd basics, in the style of PyTorch's autograd tutorial: a one-layer logistic model's
gradients, a vector-Jacobian product, and turning gradient tracking off."""

import chainrule as torch


def main() -> dict:
    torch.manual_seed(0)
    x = torch.ones(5)  # input
    y = torch.zeros(3)  # expected output
    w = torch.randn(5, 3, requires_grad=True)
    b = torch.randn(3, requires_grad=True)
    z = torch.matmul(x, w) + b
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
    print(f"Gradient function for z = {z.grad_fn}")
    print(f"Gradient function for loss = {loss.grad_fn}")

    loss.backward()
    print("w.grad =", w.grad)
    print("b.grad =", b.grad)
    # d loss / d w[i, j] = x[i] * (sigmoid(z[j]) - y[j]) / 3: check it by hand
    expected_b = (torch.sigmoid(z.detach()) - y) / 3
    b_ok = bool(torch.allclose(b.grad, expected_b))
    w_ok = bool(torch.allclose(w.grad, x.unsqueeze(1) * expected_b))

    # a vector-Jacobian product: out is not a scalar, so backward takes the vector
    inp = torch.eye(4, 5, requires_grad=True)
    out = (inp + 1).pow(2).t()
    out.backward(torch.ones_like(out), retain_graph=True)
    first = inp.grad.clone()
    out.backward(torch.ones_like(out))  # gradients accumulate
    inp.grad.zero_()
    out2 = (inp + 1).pow(2).t()
    out2.backward(torch.ones_like(out2))
    print("first call\n", first)

    z = torch.matmul(x, w) + b
    with torch.no_grad():
        z_frozen = torch.matmul(x, w) + b
    z_det = z.detach()
    print("requires_grad:", z.requires_grad, z_frozen.requires_grad, z_det.requires_grad)
    return {"b_ok": b_ok, "w_ok": w_ok, "vjp": first, "repeat": inp.grad,
            "tracking": (z.requires_grad, z_frozen.requires_grad, z_det.requires_grad)}


if __name__ == "__main__":
    main()
