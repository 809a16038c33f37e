"""Programs in the style of PyTorch's "Learn the Basics" tutorials (tensors, autograd, build model,
quickstart/optimisation, save and load), written here, that run on scratchnet with only their
imports changed.

Each program is the text of a PyTorch script. It runs twice: as written, on PyTorch, and with
its import lines swapped by ``IMPORTS`` (``import torch`` → ``import scratchnet as torch``, ...),
on scratchnet; what the two print must agree (deterministic programs, after the library name is
taken out of type names) or reach the same accuracy (training programs). The data sets come in as
NumPy arrays (the test's stand-in for torchvision's download), loaded from the local Fashion-MNIST.
"""

from __future__ import annotations

import io
import re
from functools import partial
from typing import Any

import numpy as np
import pytest

from scratchnet.datasets import DatasetNotFoundError, load_fashion_mnist
from tests.reference import torch_or_skip

# At merge with the utils.data branch: "from scratchnet.utils.data import DataLoader, TensorDataset".
IMPORTS = {
    "import torch": "import scratchnet as torch",
    "from torch import nn": "from scratchnet import nn",
    "from torch.utils.data import DataLoader, TensorDataset":
        "from scratchnet.data import DataLoader, TensorDataset",
    "import numpy as np": "import numpy as np",
}


def on_scratchnet(program: str) -> str:
    """The program with each import line replaced by its scratchnet form (and nothing else changed)."""
    lines = program.splitlines()
    for number, line in enumerate(lines):
        if line.startswith(("import ", "from ")):
            assert line in IMPORTS, f"an import the test does not know how to swap: {line!r}"
            lines[number] = IMPORTS[line]
    return "\n".join(lines)


def run(program: str, library: str, **inputs: Any) -> tuple[dict[str, Any], str]:
    """Execute the program on ``library`` ("torch" or "scratchnet"); its namespace and what it printed."""
    source = program if library == "torch" else on_scratchnet(program)
    output = io.StringIO()
    namespace = {"__name__": "__main__", "print": partial(print, file=output), **inputs}
    exec(compile(source, f"<program on {library}>", "exec"), namespace)  # noqa: S102 - our own test text
    return namespace, output.getvalue()


def normalised(text: str) -> str:
    """Printed text without what names the library or the memory address."""
    text = re.sub(r"\b(torch|scratchnet)\.", "", text)
    sizes = r"Size\(\[([^\]]*)\]\)"  # torch.Size([3, 4]) and scratchnet.Size([3, 4]) print as (3, 4)
    text = re.sub(sizes, lambda m: str(tuple(map(int, filter(None, m.group(1).split(","))))), text)
    return re.sub(r" object at 0x[0-9a-f]+", "", text)


def same_output(program: str, **inputs: Any) -> dict[str, Any]:
    """Run on both libraries, check they print the same, and return scratchnet's namespace."""
    torch_or_skip()
    ours, our_text = run(program, "scratchnet", **inputs)
    _, their_text = run(program, "torch", **inputs)
    assert normalised(our_text) == normalised(their_text)
    return ours


TENSORS = '''
import numpy as np
import torch

data = [[1, 2], [3, 4]]
x_data = torch.tensor(data)
np_array = np.array(data)
x_np = torch.from_numpy(np_array)
print(x_np)

x_ones = torch.ones_like(x_data)
print(f"Ones Tensor: \\n {x_ones} \\n")
x_rand = torch.rand_like(x_data, dtype=torch.float)
print(f"Random Tensor: {x_rand.size()} {x_rand.dtype} \\n")

shape = (2, 3,)
ones_tensor = torch.ones(shape)
zeros_tensor = torch.zeros(shape)
print(f"Ones Tensor: \\n {ones_tensor} \\n")
print(f"Zeros Tensor: \\n {zeros_tensor}")

tensor = torch.rand(3, 4)
print(f"Shape of tensor: {tensor.size()}")
print(f"Datatype of tensor: {tensor.dtype}")
print(f"Device tensor is stored on: {tensor.device}")

if torch.accelerator.is_available():
    tensor = tensor.to(torch.accelerator.current_accelerator())

tensor = torch.ones(4, 4)
print(f"First row: {tensor[0]}")
print(f"First column: {tensor[:, 0]}")
print(f"Last column: {tensor[..., -1]}")
tensor[:,1] = 0
print(tensor)

t1 = torch.cat([tensor, tensor, tensor], dim=1)
print(t1)

y1 = tensor @ tensor.T
y2 = tensor.matmul(tensor.T)
y3 = torch.rand_like(y1)
torch.matmul(tensor, tensor.T, out=y3)
z1 = tensor * tensor
z2 = tensor.mul(tensor)
z3 = torch.rand_like(tensor)
torch.mul(tensor, tensor, out=z3)
print(y1, y3, z1, z3)
print(y1.eq(y2).all(), z1.eq(z2).all())

agg = tensor.sum()
agg_item = agg.item()
print(agg_item, type(agg_item))

print(f"{tensor} \\n")
tensor.add_(5)
print(tensor)

t = torch.ones(5)
print(f"t: {t}")
n = t.numpy()
print(f"n: {n}")
t.add_(1)
print(f"t: {t}")
print(f"n: {n}")

n = np.ones(5)
t = torch.from_numpy(n)
np.add(n, 1, out=n)
print(f"t: {t}")
print(f"n: {n}")
print(torch.arange(12).view(3, 4).t().reshape(-1, 6), torch.eye(3).numel(), torch.zeros(2, 3).dim())
'''


def test_tensors_program_prints_what_pytorch_prints() -> None:
    ours = same_output(TENSORS)
    assert ours["t"].numpy() is not None and ours["n"][0] == 2.0


AUTOGRAD = '''
import numpy as np
import torch

x = torch.ones(5)
y = torch.zeros(3)
w = torch.tensor(weights, requires_grad=True)
b = torch.tensor(bias, requires_grad=True)
z = torch.matmul(x, w)+b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
print(f"Gradient function for z = {z.grad_fn.name()}")
print(f"Gradient function for loss = {loss.grad_fn.name()}")
print(z.grad_fn.next_functions[1][0].variable is b)

loss.backward()
print(w.grad)
print(b.grad)

z = torch.matmul(x, w)+b
print(z.requires_grad)

with torch.no_grad():
    z = torch.matmul(x, w)+b
print(z.requires_grad)

z = torch.matmul(x, w)+b
z_det = z.detach()
print(z_det.requires_grad)

inp = torch.eye(4, 5, requires_grad=True)
out = (inp+1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\\nSecond call\\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\\nCall after zeroing gradients\\n{inp.grad}")
'''


def test_autograd_program_prints_what_pytorch_prints() -> None:
    rng = np.random.default_rng(0)
    weights, bias = rng.standard_normal((5, 3)).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    ours = same_output(AUTOGRAD, weights=weights, bias=bias)
    assert ours["w"].grad.shape == (5, 3) and ours["inp"].grad.numpy().max() == 4.0


BUILD_MODEL = '''
import torch
from torch import nn

device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
print(f"Using {device} device")

class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28*28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits

model = NeuralNetwork().to(device)
print(model)

X = torch.rand(1, 28, 28, device=device)
logits = model(X)
pred_probab = nn.Softmax(dim=1)(logits)
y_pred = pred_probab.argmax(1)
print(y_pred.size(), abs(pred_probab.sum().item() - 1.0) < 1e-5)

input_image = torch.rand(3,28,28)
print(input_image.size())
flat_image = nn.Flatten()(input_image)
print(flat_image.size())
layer1 = nn.Linear(in_features=28*28, out_features=20)
hidden1 = layer1(flat_image)
print(hidden1.size())
hidden1 = nn.ReLU()(hidden1)
print(hidden1.min() >= 0)

print(f"Model structure: {model}\\n\\n")
for name, param in model.named_parameters():
    print(f"Layer: {name} | Size: {param.size()} | requires_grad: {param.requires_grad}")
'''


def test_build_model_program_prints_what_pytorch_prints() -> None:
    ours = same_output(BUILD_MODEL)
    assert ours["y_pred"].dtype == np.int64 and 0 <= int(ours["y_pred"][0]) < 10


QUICKSTART = '''
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
training_data = TensorDataset(torch.from_numpy(train_images).float() / 255, torch.from_numpy(train_labels))
test_data = TensorDataset(torch.from_numpy(test_images).float() / 255, torch.from_numpy(test_labels))

batch_size = 64
train_dataloader = DataLoader(training_data, batch_size=batch_size, shuffle=True)
test_dataloader = DataLoader(test_data, batch_size=batch_size)

for X, y in test_dataloader:
    print(f"Shape of X [N, C, H, W]: {X.shape}")
    print(f"Shape of y: {y.shape} {y.dtype}")
    break

device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
print(f"Using {device} device")

class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28*28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10)
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits

model = NeuralNetwork().to(device)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)

def train(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        X, y = X.to(device), y.to(device)
        pred = model(X)
        loss = loss_fn(pred, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if batch % 10 == 0:
            loss, current = loss.item(), (batch + 1) * len(X)
            print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")

def test(dataloader, model, loss_fn):
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    print(f"Test Error: \\n Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8f} \\n")
    return correct

accuracies = []
for t in range(epochs):
    print(f"Epoch {t+1}\\n-------------------------------")
    train(train_dataloader, model, loss_fn, optimizer)
    accuracies.append(test(test_dataloader, model, loss_fn))
print("Done!")

torch.save(model.state_dict(), model_path)
print(f"Saved PyTorch Model State to {model_path}")

model = NeuralNetwork().to(device)
model.load_state_dict(torch.load(model_path, weights_only=True))

classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
           "Ankle boot"]
model.eval()
x, y = test_data[0][0], test_data[0][1]
with torch.no_grad():
    x = x.to(device)
    pred = model(x)
    predicted, actual = classes[pred[0].argmax(0)], classes[y]
    print(f'Predicted: "{predicted}", Actual: "{actual}"')
reloaded_accuracy = test(test_dataloader, model, loss_fn)
'''


@pytest.fixture(scope="module")
def fashion_subset() -> dict[str, np.ndarray]:
    try:
        (train_images, train_labels), (test_images, test_labels) = load_fashion_mnist(download=False)
    except DatasetNotFoundError as error:  # CI installs dataset-fashion-mnist, so this runs there
        pytest.skip(f"Fashion-MNIST is not installed: {error}")
    return {"train_images": train_images[:3000].reshape(-1, 1, 28, 28).copy(),  # N×C×H×W, as ToTensor gives
            "train_labels": train_labels[:3000].astype(np.int64),
            "test_images": test_images[:1000].reshape(-1, 1, 28, 28).copy(),
            "test_labels": test_labels[:1000].astype(np.int64)}


def test_quickstart_and_save_load_program_trains_as_pytorch_does(fashion_subset: dict[str, np.ndarray],
                                                                  tmp_path: Any) -> None:
    torch = torch_or_skip()
    results, threads = {}, torch.get_num_threads()
    torch.set_num_threads(1)  # quicker on a shared 2-core machine; the test compares accuracy, not speed
    try:
        for library in ("scratchnet", "torch"):
            namespace, text = run(QUICKSTART, library, **fashion_subset, learning_rate=0.1, epochs=3,
                                  model_path=str(tmp_path / f"{library}_model.pth"))
            results[library] = namespace["accuracies"], namespace["reloaded_accuracy"], text
    finally:
        torch.set_num_threads(threads)
    (ours, our_reloaded, our_text), (theirs, _, their_text) = results["scratchnet"], results["torch"]
    assert our_reloaded == ours[-1]  # the weights saved and loaded back give the same predictions
    assert ours[-1] > ours[0] and ours[-1] > 0.65 and abs(ours[-1] - theirs[-1]) < 0.08, (ours, theirs)
    def headlines(text: str) -> list[str]:
        lines = normalised(text).splitlines()
        return [line for line in lines if line.startswith(("Shape", "Using", "Epoch"))]
    assert headlines(our_text) == headlines(their_text)
    assert "Predicted: " in our_text and "Saved PyTorch Model State" in our_text


OPTIMISATION = '''
import numpy as np
import torch
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
with torch.no_grad():
    for parameter, value in zip(model.parameters(), initial):
        parameter.copy_(torch.from_numpy(value))
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
X, y = torch.from_numpy(inputs), torch.from_numpy(targets)
for step in range(20):
    pred = model(X)
    loss = loss_fn(pred, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 5 == 0:
        print(f"step {step}: loss {loss.item():.4f}")
accuracy = (model(X).argmax(1) == y).type(torch.float).mean().item()
print(f"accuracy {accuracy:.3f}")
'''


def test_optimisation_loop_follows_pytorch_step_by_step() -> None:
    rng = np.random.default_rng(3)
    initial = [rng.standard_normal(s).astype(np.float32) * 0.5 for s in ((8, 4), (8,), (3, 8), (3,))]
    inputs = rng.standard_normal((30, 4)).astype(np.float32)
    targets = rng.integers(0, 3, 30).astype(np.int64)
    ours = same_output(OPTIMISATION, initial=initial, inputs=inputs, targets=targets)
    assert ours["accuracy"] > 0.5
