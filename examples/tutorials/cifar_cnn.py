"""The 60-minute blitz CNN ("Training a classifier"), on random CIFAR-shaped data so that it
needs no download: 3x32x32 images in 10 classes, where each class adds its own fixed pattern
to the noise, so that there is something to learn. (Adam rather than the blitz's SGD: at this
size a dozen steps must show the loss going down.)"""

import chainrule as torch
import chainrule.nn as nn
import chainrule.nn.functional as F
import chainrule.optim as optim


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)  # all dimensions but the batch
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def make_data(n, generator):
    patterns = torch.randn(10, 3, 32, 32, generator=torch.Generator().manual_seed(99),
                           dtype=torch.float32)
    labels = torch.randint(0, 10, (n,), generator=generator)
    images = 0.5 * torch.randn(n, 3, 32, 32, generator=generator, dtype=torch.float32)
    return images + patterns[labels], labels


def main(n_train=64, epochs=3, batch_size=16) -> dict:
    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    images, labels = make_data(n_train, g)
    test_images, test_labels = make_data(64, g)
    net = Net().to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(net.parameters(), lr=2e-3)
    losses = []
    for epoch in range(epochs):
        running = 0.0
        for i in range(0, n_train, batch_size):
            inputs = images[i:i + batch_size].to(device)
            targets = labels[i:i + batch_size].to(device)
            optimizer.zero_grad()
            loss = criterion(net(inputs), targets)
            loss.backward()
            optimizer.step()
            running += loss.item()
        losses.append(running / (n_train // batch_size))
        print(f"[epoch {epoch + 1}] loss: {losses[-1]:.3f}")
    correct = 0
    with torch.no_grad():
        outputs = net(test_images)
        _, predicted = torch.max(outputs, 1)
        correct = (predicted == test_labels).sum().item()
    accuracy = correct / len(test_labels)
    print(f"Accuracy of the network on the 64 test images: {100 * accuracy:.0f} %")
    return {"losses": losses, "accuracy": accuracy, "loss_dtype": loss.dtype}


if __name__ == "__main__":
    main()
