"""A training loop over a ``DataLoader``: a regression dataset split by ``random_split``,
shuffled mini-batches, gradient clipping, a learning-rate schedule, evaluation under
``no_grad``."""

import chainrule as torch
import chainrule.nn as nn
from chainrule.utils.data import DataLoader, TensorDataset, random_split


def make_dataset(n=512):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 4, generator=g, dtype=torch.float32)
    w = torch.tensor([[1.5], [-2.0], [0.5], [0.0]], dtype=torch.float32)
    y = torch.tanh(x @ w) + 0.05 * torch.randn(n, 1, generator=g, dtype=torch.float32)
    return TensorDataset(x, y)


def main(epochs=8) -> dict:
    torch.manual_seed(0)
    train_set, val_set = random_split(make_dataset(), [0.8, 0.2],
                                      generator=torch.Generator().manual_seed(1))
    train_loader = DataLoader(train_set, batch_size=32, shuffle=True,
                              generator=torch.Generator().manual_seed(2))
    val_loader = DataLoader(val_set, batch_size=64)
    model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
    loss_fn = nn.MSELoss()

    def evaluate():
        model.eval()
        with torch.no_grad():
            total = sum(loss_fn(model(xb), yb).item() * len(xb) for xb, yb in val_loader)
        model.train()
        return total / len(val_set)

    history, norms = [evaluate()], []
    for epoch in range(epochs):
        for xb, yb in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            norms.append(float(nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)))
            optimizer.step()
        scheduler.step()
        history.append(evaluate())
        print(f"epoch {epoch + 1}: val loss {history[-1]:.4f}, lr {scheduler.get_last_lr()[0]:g}")
    return {"history": history, "lrs": scheduler.get_last_lr(), "max_norm": max(norms),
            "batches": len(train_loader)}


if __name__ == "__main__":
    main()
