"""Saving and loading, in the style of PyTorch's "Saving and loading models": a model's and an
optimizer's state dicts in one checkpoint, loaded into fresh objects to resume training."""

import os
import tempfile

import chainrule as torch
import chainrule.nn as nn


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 8)
        self.bn = nn.BatchNorm1d(8)
        self.fc2 = nn.Linear(8, 1)

    def forward(self, x):
        return self.fc2(torch.relu(self.bn(self.fc1(x))))


def train(model, optimizer, x, y, steps):
    for _ in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
    return loss.item()


def main() -> dict:
    torch.manual_seed(0)
    x = torch.randn(64, 3, dtype=torch.float32)
    y = x.sum(1, keepdim=True)
    model = TinyNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    train(model, optimizer, x, y, 20)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "checkpoint.pt")
        torch.save({"epoch": 20, "model_state_dict": model.state_dict(),
                    "optimizer_state_dict": optimizer.state_dict()}, path)
        checkpoint = torch.load(path, map_location=torch.device("cpu"), weights_only=True)
    restored = TinyNet()
    restored_opt = torch.optim.SGD(restored.parameters(), lr=0.05, momentum=0.9)
    restored.load_state_dict(checkpoint["model_state_dict"])
    restored_opt.load_state_dict(checkpoint["optimizer_state_dict"])
    model.eval()
    restored.eval()
    with torch.no_grad():
        same_eval = bool(torch.equal(model(x), restored(x)))
    model.train()
    restored.train()
    # resuming from the checkpoint continues exactly as the original run
    a = train(model, optimizer, x, y, 5)
    b = train(restored, restored_opt, x, y, 5)
    print(f"epoch {checkpoint['epoch']}: outputs equal after loading: {same_eval}; "
          f"losses after 5 more steps {a:.6f} and {b:.6f}")
    return {"same_eval": same_eval, "resumed": (a, b), "epoch": checkpoint["epoch"]}


if __name__ == "__main__":
    main()
