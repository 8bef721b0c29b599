"""An LSTM sequence model, in the style of PyTorch's part-of-speech tagging tutorial: word
embeddings into an LSTM, a linear layer to tag scores, trained with NLLLoss."""

import chainrule as torch
import chainrule.nn as nn
import chainrule.nn.functional as F
import chainrule.optim as optim

TRAINING = [
    ("the dog ate the apple".split(), ["DET", "NN", "V", "DET", "NN"]),
    ("everybody read that book".split(), ["NN", "V", "DET", "NN"]),
    ("the cat read the book".split(), ["DET", "NN", "V", "DET", "NN"]),
    ("that dog ate everybody".split(), ["DET", "NN", "V", "NN"]),
]
TAGS = {"DET": 0, "NN": 1, "V": 2}


def prepare_sequence(seq, to_ix):
    return torch.tensor([to_ix[w] for w in seq], dtype=torch.long)


class LSTMTagger(nn.Module):
    def __init__(self, embedding_dim, hidden_dim, vocab_size, tagset_size):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim)
        self.hidden2tag = nn.Linear(hidden_dim, tagset_size)

    def forward(self, sentence):
        embeds = self.word_embeddings(sentence)
        lstm_out, _ = self.lstm(embeds.view(len(sentence), 1, -1))
        tag_space = self.hidden2tag(lstm_out.view(len(sentence), -1))
        return F.log_softmax(tag_space, dim=1)


def main(epochs=60) -> dict:
    torch.manual_seed(1)
    word_to_ix = {}
    for sent, _ in TRAINING:
        for word in sent:
            word_to_ix.setdefault(word, len(word_to_ix))
    model = LSTMTagger(6, 6, len(word_to_ix), len(TAGS))
    loss_function = nn.NLLLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.1)

    def total_loss():
        with torch.no_grad():
            return sum(loss_function(model(prepare_sequence(s, word_to_ix)),
                                     prepare_sequence(t, TAGS)).item() for s, t in TRAINING)

    before = total_loss()
    for _ in range(epochs):
        for sentence, tags in TRAINING:
            model.zero_grad()
            tag_scores = model(prepare_sequence(sentence, word_to_ix))
            loss = loss_function(tag_scores, prepare_sequence(tags, TAGS))
            loss.backward()
            optimizer.step()
    after = total_loss()
    with torch.no_grad():
        scores = model(prepare_sequence(TRAINING[0][0], word_to_ix))
        predicted = scores.argmax(dim=1).tolist()
    print(f"loss {before:.3f} -> {after:.3f}; tags of {TRAINING[0][0]}: {predicted}")
    return {"before": before, "after": after, "predicted": predicted,
            "expected": [TAGS[t] for t in TRAINING[0][1]]}


if __name__ == "__main__":
    main()
