"""Data: checked downloads, tokenisation, ``Vocab`` and sequence batching.

Chapter 1 ("Recurrent neural networks") explains every piece: the corpus is
H. G. Wells' *The Time Machine* read one character at a time, the vocabulary
maps characters to indices, and the two batching schemes (random offsets and
sequential streams) are what truncated backpropagation through time needs.

Downloads are never half-written: a file is streamed into a temporary file in
the cache directory, its HTTP status and checksum are checked, and only then is
it renamed into place. A cached file whose checksum is wrong is detected and
downloaded again. Set ``LSTM_COMPANION_DATA`` to a folder that already holds
the files (the book's CI does) and nothing is downloaded at all.

Chapter 6 adds the sentence polarity data of Pang and Lee (2005),
``rt-polarity.pos`` and ``rt-polarity.neg``. They are published only inside
the archive ``rt-polaritydata.tar.gz``, so their registry entries name the
archive's URL and the member to extract (``DataFile.member``); the checksums
are those of the **extracted, UTF-8** files, not of the archive (see
:func:`fetch`).
"""

from __future__ import annotations

import collections
import hashlib
import os
import re
import tarfile
import tempfile
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from ._checks import check_positive_int, check_tensor

__all__ = [
    "DataFile",
    "DATA_FILES",
    "ChecksumError",
    "data_dir",
    "cache_dir",
    "fetch",
    "file_hash",
    "tokenize",
    "Vocab",
    "load_time_machine",
    "preprocess_time_machine",
    "split_corpus",
    "seq_data_iter_sequential",
    "seq_data_iter_random",
]

DATA_ENV = "LSTM_COMPANION_DATA"
CACHE_ENV = "LSTM_COMPANION_CACHE"


@dataclass(frozen=True)
class DataFile:
    """A data file the book uses: where it comes from and what it must hash to."""

    name: str  # file name, also its name in the cache and in a local data folder
    url: str  # canonical download address
    sha1: str  # hex sha1 (the hash d2l checks)
    sha256: str  # hex sha256 (the hash this package checks)
    description: str = ""
    member: str | None = None  # path inside the tar.gz archive at ``url``; None: ``url`` is the file itself


#: The Cornell archive of the sentence polarity data (chapter 6); it holds
#: ``rt-polaritydata/rt-polarity.pos`` and ``.neg``.
POLARITY_URL = "http://www.cs.cornell.edu/people/pabo/movie-review-data/rt-polaritydata.tar.gz"

DATA_FILES: dict[str, DataFile] = {
    f.name: f
    for f in [
        DataFile(
            "timemachine.txt",
            "http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt",
            "090b5e7e70c295757f55df93cb0a180b9691891a",
            "8424dbd9532ac81f7e5f0b6add90e6952baea29158309d7d1bf3884f4e12c516",
            "H. G. Wells, The Time Machine (Project Gutenberg), as in d2l",
        ),
        DataFile(
            "fra-eng.zip",
            "http://d2l-data.s3-accelerate.amazonaws.com/fra-eng.zip",
            "94646ad1522d915e7b0f9296181140edcf86a4f5",
            "fa96382b2c8b609e1662654c1e6e6baeb8d30b3bf63dfb4a5a261cc36347df13",
            "Tatoeba English-French sentence pairs (manythings.org/anki), as in d2l",
        ),
        DataFile(
            "rt-polarity.pos",
            POLARITY_URL,
            "a22c1d160197da41367feef5ad7ef36503e9a0ff",
            "be55c4110462d1e47831f7f8cc674f1206fafc3b02f02aa2739e1c9456a3481f",
            "Pang & Lee (2005) sentence polarity v1.0: 5331 positive sentences, extracted, as UTF-8",
            member="rt-polaritydata/rt-polarity.pos",
        ),
        DataFile(
            "rt-polarity.neg",
            POLARITY_URL,
            "8c8434996066845bcf936245968b7203119f9dd5",
            "6b3a3603fd5f1405503fb16de5c5244385d3a8e373a0ce421d359e37bbcff5ee",
            "Pang & Lee (2005) sentence polarity v1.0: 5331 negative sentences, extracted, as UTF-8",
            member="rt-polaritydata/rt-polarity.neg",
        ),
    ]
}


class ChecksumError(ValueError):
    """A file's content does not hash to what the registry says."""


def data_dir() -> Path | None:
    """The local data folder named by ``LSTM_COMPANION_DATA``, or ``None``."""
    value = os.environ.get(DATA_ENV)
    return Path(value).expanduser() if value else None


def cache_dir() -> Path:
    """The cache folder: ``LSTM_COMPANION_CACHE`` or ``~/.cache/lstm_companion``."""
    value = os.environ.get(CACHE_ENV)
    return Path(value).expanduser() if value else Path.home() / ".cache" / "lstm_companion"


def file_hash(path: str | os.PathLike[str], algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in 1 MiB chunks."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch(
    name: str,
    *,
    url: str | None = None,
    cache: str | os.PathLike[str] | None = None,
    local_dir: str | os.PathLike[str] | None = None,
    timeout: float = 60.0,
) -> Path:
    """Return the path of data file ``name``, verified by its sha256 (chapter 1).

    Order of search:

    1. ``local_dir`` (or the folder named by ``LSTM_COMPANION_DATA``): the file
       is used in place if its checksum is right; a wrong checksum is an error.
    2. the cache folder (``cache`` or ``LSTM_COMPANION_CACHE``): used if its
       checksum is right; a damaged cached file is removed and fetched again.
    3. download from ``url`` (default: the file's canonical address) into a
       temporary file, check the HTTP status and the checksum, then rename.
       For a file that lives inside an archive (``DataFile.member``, the
       sentence polarity data of chapter 6), ``url`` is the tar.gz archive:
       it is downloaded to a temporary file, the member is extracted and
       converted to UTF-8 (:func:`_to_utf8`), and the checksum of that
       converted text is checked before it is renamed into the cache. The
       other registry files of the same archive are extracted and checked
       in the same pass, so they need no second download.

    Raises ``ChecksumError`` naming the file and both hashes when a file is
    wrong, and leaves no partial file behind.
    """
    if name not in DATA_FILES:
        raise ValueError(f"name must be one of {sorted(DATA_FILES)}, got {name!r}")
    spec = DATA_FILES[name]

    local = Path(local_dir).expanduser() if local_dir is not None else data_dir()
    if local is not None:
        path = local / name
        if not path.is_file():
            raise FileNotFoundError(
                f"{name} not found in the local data folder {local} "
                f"(set by {'local_dir' if local_dir is not None else DATA_ENV}); "
                f"put the file there or unset {DATA_ENV} to download it from {spec.url}"
            )
        _verify(path, spec)
        return path

    folder = (Path(cache).expanduser() if cache is not None else cache_dir()) / "data"
    target = folder / name
    if target.is_file():
        try:
            _verify(target, spec)
            return target
        except ChecksumError as err:
            warnings.warn(f"{err}; removing the damaged cached file and downloading again", stacklevel=2)
            target.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    if spec.member is not None:
        _download_from_archive(url or spec.url, target, spec, timeout)
    else:
        _download(url or spec.url, target, spec, timeout)
    return target


def _verify(path: Path, spec: DataFile) -> None:
    got = file_hash(path, "sha256")
    if got != spec.sha256:
        raise ChecksumError(
            f"{path} has the wrong sha256: expected {spec.sha256}, got {got} "
            f"(size {path.stat().st_size} bytes); the file is damaged or is not {spec.name}"
        )


def _stream_to(url: str, path: Path, what: str, timeout: float) -> str:
    """Download ``url`` into ``path`` (which exists), checking the HTTP status; return the sha256 of the bytes.

    ``what`` names the download in errors, e.g. ``"timemachine.txt from <url>"``.
    """
    sha256 = hashlib.sha256()
    try:
        response = urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 (http/https only)
    except urllib.error.HTTPError as err:
        raise OSError(f"downloading {what} failed: HTTP {err.code} {err.reason}") from err
    with response, open(path, "wb") as out:
        status = getattr(response, "status", 200)
        if status != 200:
            raise OSError(f"downloading {what} failed: HTTP {status}")
        for chunk in iter(lambda: response.read(1 << 16), b""):
            sha256.update(chunk)
            out.write(chunk)
    return sha256.hexdigest()


def _download(url: str, target: Path, spec: DataFile, timeout: float) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        got = _stream_to(url, tmp, f"{spec.name} from {url}", timeout)
        if got != spec.sha256:
            raise ChecksumError(
                f"downloaded {spec.name} from {url} has the wrong sha256: expected {spec.sha256}, "
                f"got {got}; nothing was written to {target}"
            )
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def _to_utf8(raw: bytes) -> bytes:
    """The archive's bytes as the UTF-8 text whose sha256 the registry holds (chapter 6).

    ``rt-polaritydata.tar.gz`` is Latin-1, not UTF-8: apart from ASCII it holds
    316 single bytes for accented letters (such as the "o" of "ladron" with an
    accent). The registry's files hold U+FFFD (the replacement character) at
    exactly those places, so they are what decoding the bytes as UTF-8 with
    ``errors="replace"`` gives; every ASCII byte is unchanged. Doing the same
    here reproduces them byte for byte. (This was checked against an archive
    rebuilt from the registry's files, not against the Cornell server, which
    the book's build machines cannot reach; a mismatch would raise
    ``ChecksumError``, never cache a wrong file.)
    """
    return raw.decode("utf-8", errors="replace").encode("utf-8")


def _download_from_archive(url: str, target: Path, spec: DataFile, timeout: float) -> None:
    """Download the tar.gz at ``url``, extract ``spec.member`` (and its siblings), check, rename."""
    siblings = [f for f in DATA_FILES.values() if f.member is not None and f.url == spec.url and f is not spec]
    fd, tmp_name = tempfile.mkstemp(prefix=f".{Path(url).name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    archive = Path(tmp_name)
    try:
        _stream_to(url, archive, f"{spec.name} (archive {url})", timeout)
        contents: dict[str, bytes] = {}
        try:
            with tarfile.open(archive, "r:gz") as tar:
                names = set(tar.getnames())
                for f in [spec, *siblings]:
                    handle = tar.extractfile(f.member) if f.member in names else None  # type: ignore[arg-type]
                    if handle is not None:
                        contents[f.name] = _to_utf8(handle.read())
        except (tarfile.TarError, EOFError, OSError) as err:  # gzip.BadGzipFile is an OSError
            raise ChecksumError(
                f"downloaded archive {url} (for {spec.name}) is not a readable tar.gz file: {err}; "
                f"nothing was written to {target.parent}"
            ) from err
        if spec.name not in contents:
            raise OSError(
                f"the archive {url} does not hold {spec.member} (needed for {spec.name}); "
                f"it holds {sorted(names)[:10]}"
            )
        got = hashlib.sha256(contents[spec.name]).hexdigest()
        if got != spec.sha256:
            raise ChecksumError(
                f"{spec.name} extracted from {url} ({spec.member}, converted to UTF-8) has the wrong sha256: "
                f"expected {spec.sha256}, got {got}; nothing was written to {target}"
            )
        for f in [spec, *siblings]:
            text = contents.get(f.name)
            path = target.parent / f.name
            if text is None or hashlib.sha256(text).hexdigest() != f.sha256 or (f is not spec and path.is_file()):
                continue  # a damaged sibling is simply not cached; fetching it raises then
            _write_atomic(path, text)
    finally:
        if archive.exists():
            archive.unlink()


def _write_atomic(path: Path, content: bytes) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


# ---------------------------------------------------------------- tokens


def tokenize(text: str | Sequence[str], token: str = "char") -> list[str] | list[list[str]]:
    """Split text into tokens (chapter 1).

    ``text`` is one string (returns a flat list) or a list of lines (returns a
    list of token lists). ``token`` is ``"char"`` or ``"word"``.
    """
    if token not in ("char", "word"):
        raise ValueError(f"token must be 'char' or 'word', got {token!r}")
    split = list if token == "char" else str.split
    if isinstance(text, str):
        return split(text)
    if not isinstance(text, Sequence) or not all(isinstance(line, str) for line in text):
        raise TypeError(f"text must be a str or a sequence of str, got {type(text).__name__}")
    return [split(line) for line in text]


class Vocab:
    """Map tokens to indices and back (chapter 1).

    Index 0 is ``<unk>``; then the ``reserved_tokens``; then every token seen
    at least ``min_freq`` times, most frequent first (ties alphabetical), so the
    order does not depend on dictionary ordering.
    """

    unk_token = "<unk>"

    def __init__(
        self,
        tokens: Iterable[str] | Iterable[Iterable[str]] = (),
        min_freq: int = 1,
        reserved_tokens: Sequence[str] = (),
    ) -> None:
        check_positive_int("min_freq", min_freq)
        flat: list[str] = []
        for tok in tokens:
            if isinstance(tok, str):
                flat.append(tok)
            else:
                flat.extend(tok)
        self.token_freqs: list[tuple[str, int]] = sorted(
            collections.Counter(flat).items(), key=lambda kv: (-kv[1], kv[0])
        )
        specials = [self.unk_token] + [t for t in reserved_tokens if t != self.unk_token]
        kept = [t for t, f in self.token_freqs if f >= min_freq and t not in specials]
        self.idx_to_token: list[str] = specials + kept
        self.token_to_idx: dict[str, int] = {t: i for i, t in enumerate(self.idx_to_token)}

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def __repr__(self) -> str:
        head = ", ".join(repr(t) for t in self.idx_to_token[:8])
        return f"Vocab(size={len(self)}, tokens=[{head}{', ...' if len(self) > 8 else ''}])"

    @property
    def unk(self) -> int:
        """Index of the unknown token (always 0)."""
        return 0

    def __getitem__(self, tokens: str | Sequence[str]) -> int | list[int]:
        """Index of a token (``<unk>``'s index if unknown), or a list of them."""
        if isinstance(tokens, str):
            return self.token_to_idx.get(tokens, self.unk)
        return [self.token_to_idx.get(t, self.unk) for t in tokens]

    def encode(self, tokens: Sequence[str], strict: bool = True) -> list[int]:
        """Indices of ``tokens``; with ``strict`` an unknown token is an error."""
        if strict:
            unknown = sorted({t for t in tokens if t not in self.token_to_idx})
            if unknown:
                raise ValueError(
                    f"tokens contains {len(unknown)} token(s) not in the vocabulary: "
                    f"{unknown[:10]!r}; known tokens are {self.idx_to_token[:30]!r}"
                )
        return [self.token_to_idx.get(t, self.unk) for t in tokens]

    def to_tokens(self, indices: int | Sequence[int] | torch.Tensor) -> str | list[str]:
        """Token of an index, or the list of tokens of many indices."""
        if isinstance(indices, torch.Tensor):
            indices = indices.tolist()
        if isinstance(indices, int):
            self._check_index(indices)
            return self.idx_to_token[indices]
        out = []
        for i in indices:  # type: ignore[union-attr]
            self._check_index(i)
            out.append(self.idx_to_token[i])
        return out

    def _check_index(self, i: object) -> None:
        if isinstance(i, bool) or not isinstance(i, int):
            raise TypeError(f"indices must be ints, got {type(i).__name__} {i!r}")
        if not 0 <= i < len(self):
            raise ValueError(f"indices must be in [0, {len(self)}), got {i}")


# ---------------------------------------------------------------- corpora


def preprocess_time_machine(text: str) -> str:
    """Keep letters only, lower-cased, every other run of characters a space (as d2l)."""
    return re.sub("[^A-Za-z]+", " ", text).lower().strip()


def load_time_machine(
    *, local_dir: str | os.PathLike[str] | None = None, cache: str | os.PathLike[str] | None = None
) -> tuple[torch.Tensor, Vocab]:
    """*The Time Machine* as a 1-D tensor of character indices, and its ``Vocab`` (chapter 1).

    27 characters (a–z and space) plus ``<unk>``: 28 tokens.
    """
    path = fetch("timemachine.txt", local_dir=local_dir, cache=cache)
    text = preprocess_time_machine(path.read_text(encoding="utf-8"))
    tokens = tokenize(text, "char")
    vocab = Vocab(tokens)
    corpus = torch.tensor(vocab.encode(tokens), dtype=torch.long)  # type: ignore[arg-type]
    return corpus, vocab


def split_corpus(corpus: torch.Tensor, val_fraction: float = 0.1) -> tuple[torch.Tensor, torch.Tensor]:
    """Split a 1-D corpus into a leading training part and a held-out tail (chapter 1).

    The held-out part is contiguous text the model never trains on, so its
    perplexity measures generalisation, not memory.
    """
    check_tensor("corpus", corpus, ndim=1, floating=False)
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    n_val = int(round(len(corpus) * val_fraction))
    if n_val < 2 or len(corpus) - n_val < 2:
        raise ValueError(f"corpus of length {len(corpus)} is too short to split with val_fraction={val_fraction}")
    return corpus[:-n_val], corpus[-n_val:]


def _check_batching(corpus: torch.Tensor, batch_size: int, num_steps: int) -> None:
    check_tensor("corpus", corpus, ndim=1, floating=False)
    check_positive_int("batch_size", batch_size)
    check_positive_int("num_steps", num_steps)
    if len(corpus) < batch_size * num_steps + 1:
        raise ValueError(
            f"corpus of length {len(corpus)} is too short for batch_size={batch_size} and "
            f"num_steps={num_steps}: need at least batch_size * num_steps + 1 = {batch_size * num_steps + 1} tokens"
        )


def seq_data_iter_sequential(
    corpus: torch.Tensor,
    batch_size: int,
    num_steps: int,
    *,
    offset: int | None = None,
    generator: torch.Generator | None = None,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Minibatches of ``batch_size`` parallel streams, consecutive in time (chapter 1).

    Row ``b`` of one minibatch continues row ``b`` of the previous one, so the
    hidden state can be carried over (and detached: truncated BPTT). The corpus
    is cut into ``batch_size`` equal streams after a start ``offset`` (random in
    ``[0, num_steps)`` unless given), and each token of the used range appears
    exactly once as an input per epoch. Yields ``X, Y`` of shape
    ``(batch_size, num_steps)``; ``Y`` is ``X`` shifted by one token.
    """
    _check_batching(corpus, batch_size, num_steps)
    if offset is None:
        offset = int(torch.randint(0, min(num_steps, len(corpus) - batch_size * num_steps), (1,), generator=generator))
    if not 0 <= offset < len(corpus) - batch_size * num_steps:
        raise ValueError(f"offset must be in [0, {len(corpus) - batch_size * num_steps}), got {offset}")
    num_batches = (len(corpus) - offset - 1) // (batch_size * num_steps)
    num_tokens = num_batches * batch_size * num_steps
    Xs = corpus[offset : offset + num_tokens].reshape(batch_size, -1)  # (batch_size, num_batches * num_steps)
    Ys = corpus[offset + 1 : offset + 1 + num_tokens].reshape(batch_size, -1)
    for i in range(0, num_batches * num_steps, num_steps):
        yield Xs[:, i : i + num_steps], Ys[:, i : i + num_steps]


def seq_data_iter_random(
    corpus: torch.Tensor,
    batch_size: int,
    num_steps: int,
    *,
    generator: torch.Generator | None = None,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Minibatches of independent subsequences at random positions (chapter 1).

    A random offset in ``[0, num_steps)``, then the corpus is cut into
    subsequences of ``num_steps`` tokens, shuffled and grouped. Consecutive
    minibatches are unrelated, so the hidden state starts from zero each time.
    Yields ``X, Y`` of shape ``(batch_size, num_steps)``.
    """
    _check_batching(corpus, batch_size, num_steps)
    offset = int(torch.randint(0, min(num_steps, len(corpus) - batch_size * num_steps), (1,), generator=generator))
    starts = torch.arange(offset, len(corpus) - num_steps, num_steps)  # each start leaves room for Y
    starts = starts[torch.randperm(len(starts), generator=generator)]
    steps = torch.arange(num_steps)
    for i in range(0, len(starts) - batch_size + 1, batch_size):
        idx = starts[i : i + batch_size, None] + steps  # (batch_size, num_steps)
        yield corpus[idx], corpus[idx + 1]
