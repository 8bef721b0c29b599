"""A character-level language model: an LSTM learns to continue text, trained with chainrule.

The text is ``data/public_domain.txt`` (about 4 KB of Dickens, Lincoln and Shakespeare, all in
the public domain). Each character is embedded, an ``nn.LSTM`` reads random windows of the text
and predicts the next character at every position (cross-entropy, Adam, gradient clipping), and
the trained model samples new text one character at a time, seeded with a prompt.

    python examples/char_lstm.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn, optim

TEXT = Path(__file__).resolve().parent / "data" / "public_domain.txt"


class CharLSTM(nn.Module):
    def __init__(self, vocab_size: int, embed: int = 32, hidden: int = 128):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, idx, state=None):
        """idx: (batch, time) character indices -> logits (batch, time, vocab), new state."""
        out, state = self.lstm(self.embed(idx), state)
        return self.head(out), state


def sample(model: CharLSTM, prompt: str, length: int, stoi: dict, itos: list,
           temperature: float = 0.7, seed: int = 0) -> str:
    """Continue ``prompt`` by ``length`` characters drawn from the model."""
    rng = np.random.default_rng(seed)
    model.eval()
    chars = list(prompt)
    with cr.no_grad():
        logits, state = model(cr.tensor([[stoi[c] for c in prompt]]))
        for _ in range(length):
            p = F.softmax(logits[0, -1] / temperature, dim=-1).numpy().astype(np.float64)
            nxt = int(rng.choice(len(p), p=p / p.sum()))
            chars.append(itos[nxt])
            logits, state = model(cr.tensor([[nxt]]), state)
    model.train()
    return "".join(chars)


def train(steps: int = 300, seq_len: int = 48, batch_size: int = 32, lr: float = 1e-2,
          seed: int = 0, log_every: int = 50):
    """Train on random windows of the text; returns (model, losses, stoi, itos)."""
    text = TEXT.read_text()
    itos = sorted(set(text))
    stoi = {c: i for i, c in enumerate(itos)}
    data = np.array([stoi[c] for c in text], dtype=np.int64)

    cr.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = CharLSTM(len(itos))
    opt = optim.Adam(model.parameters(), lr=lr)
    offsets = np.arange(seq_len + 1)
    losses = []
    for step in range(steps):
        starts = rng.integers(0, len(data) - seq_len - 1, size=batch_size)
        windows = data[starts[:, None] + offsets]  # (batch, seq_len + 1)
        x, y = cr.tensor(windows[:, :-1]), cr.tensor(windows[:, 1:])
        logits, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, len(itos)), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
        if log_every and (step % log_every == 0 or step == steps - 1):
            print(f"step {step:4d}: loss {loss.item():.3f} (nats per character)")
    return model, losses, stoi, itos


def main(steps: int = 300, sample_length: int = 300) -> list[float]:
    text = TEXT.read_text()
    print(f"{len(text)} characters, {len(set(text))} distinct")
    model, losses, stoi, itos = train(steps=steps)
    print(f"loss {losses[0]:.3f} -> {np.mean(losses[-10:]):.3f} "
          f"(a uniform guess scores {np.log(len(itos)):.3f})\n")
    print(sample(model, "It was the ", sample_length, stoi, itos))
    return losses


if __name__ == "__main__":
    main()
