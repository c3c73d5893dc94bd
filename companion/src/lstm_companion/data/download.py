"""The book's data files and committed results, found or downloaded and checked: :func:`fetch`, :func:`find_results`.

:data:`DATA_FILES` names every data file a chapter reads, as a
:class:`DataFile`: its canonical address and its sha1 and sha256. They are
*The Time Machine* (``timemachine.txt``, chapters 1-4, 6, 8 and 9), the
Tatoeba English-French pairs (``fra-eng.zip``, chapter 7) and the sentence
polarity data of Pang and Lee (2005) (``rt-polarity.pos`` and ``.neg``,
chapters 6 and 7), and the two time series of chapter 13 (``taylor.csv``,
``airpassengers.csv``), which also ship inside the package
(:mod:`lstm_companion.data.series` reads that copy). The loaders call :func:`fetch`; chapter 9 calls it
directly to show the raw text.

Downloads are never half-written: a file is streamed into a temporary file in
the cache directory, its HTTP status and checksum are checked, and only then is
it renamed into place. A cached file whose checksum is wrong is detected and
downloaded again; a wrong file anywhere else raises :class:`ChecksumError`.
Set ``LSTM_COMPANION_DATA`` to a folder that already holds the files (the
book's CI does) and nothing is downloaded at all; set
``LSTM_COMPANION_MIRROR`` and every file is downloaded from there instead.
Data files and committed results go through one checked path (find, fetch,
verify, rename), so the module holds both, past the package's usual 400
lines.

The polarity files are published only inside the archive
``rt-polaritydata.tar.gz`` (:data:`POLARITY_URL`), so their registry entries
name the archive's URL and the member to extract (``DataFile.member``); the
checksums are those of the **extracted, UTF-8** files, not of the archive (see
:func:`fetch`).

Some tables take longer to compute than a chapter may run: the several-seed
sentiment table (``scripts/sentiment_seeds.py``, chapter 6), the translation
checkpoint (``scripts/train_translation.py``, chapter 7), the ablations
(``scripts/ablations.py``, chapter 8), the LSTM speed benchmark
(``bench/lstm_speed.py``, chapter 10) and the forecasters' seeds
(``scripts/forecasting.py``, chapter 13). Their outputs are committed under
``results/`` in the book's repository, and each chapter checks a live slice
against them. :func:`find_results` finds such a file: in
``LSTM_COMPANION_RESULTS``, in ``results/`` of the current folder or of a
parent (a clone), in the cache, or else downloaded from the repository's
release and checked against its sha256 in :data:`RESULT_FILES` (on Colab, or
after a plain ``pip install``). :func:`read_json_record` reads such a record
(or any JSON record of the package), naming a missing, damaged or incomplete
file.

The loaders are in :mod:`lstm_companion.data.text`,
:mod:`~lstm_companion.data.polarity` and :mod:`~lstm_companion.data.tatoeba`;
the folders and addresses come from :mod:`lstm_companion.runtime`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tarfile
import tempfile
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._checks import check_positive_float, check_record_keys
from ..runtime import (
    DATA_ENV,
    MIRROR_ENV,
    REPOSITORY_URL,
    RESULTS_ENV,
    atomic_write,
    cache_dir,
    data_dir,
    file_hash,
    mirror_url,
    release_files_url,
)

__all__ = [
    "read_json_record",
    "DataFile",
    "POLARITY_URL",
    "SERIES_URL",
    "DATA_FILES",
    "ChecksumError",
    "fetch",
    "RESULT_FILES",
    "find_results",
]


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

#: Where the two time series of chapter 13 are published: they ship inside the package
#: (``lstm_companion/data/series_data``), and this is that folder in the book's repository.
SERIES_URL = REPOSITORY_URL.replace("https://github.com/", "https://raw.githubusercontent.com/") + (
    "/main/companion/src/lstm_companion/data/series_data"
)


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
        DataFile(
            "taylor.csv",
            SERIES_URL + "/taylor.csv",
            "a92477334afabde19128334d15e91dca237e25f6",
            "60b073656088a4e8482277752ca3200c69fedd28af59224f0e463b1fe9a261e4",
            "Taylor (2003) half-hourly electricity demand, England and Wales, 2000-06-05 to 2000-08-27 (chapter 13)",
        ),
        DataFile(
            "airpassengers.csv",
            SERIES_URL + "/airpassengers.csv",
            "2eca7a388ac76ebbdd6533eff10453b799df1d06",
            "d27dd74f3654ab4c688afccf2348870410902f480cea900d872be2ae33184411",
            "Box & Jenkins monthly airline passengers, 1949-1960 (chapter 13)",
        ),
    ]
}


class ChecksumError(ValueError):
    """A file's content does not hash to what the registry says."""


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
    3. download from ``url`` (default: ``$LSTM_COMPANION_MIRROR/<name>`` when
       that variable is set, else the file's canonical address) into a
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
    if not isinstance(name, str) or name not in DATA_FILES:
        raise ValueError(f"name must be one of {sorted(DATA_FILES)}, got {name!r}")
    check_positive_float("timeout", timeout)
    if url is not None and not isinstance(url, str):
        raise TypeError(f"url must be a str or None, got {type(url).__name__}")
    for arg, value in (("cache", cache), ("local_dir", local_dir)):
        if value is not None and not isinstance(value, (str, os.PathLike)):
            raise TypeError(f"{arg} must be a str, an os.PathLike or None, got {type(value).__name__}")
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
    if _cached(target, spec):
        return target
    folder.mkdir(parents=True, exist_ok=True)
    mirror = mirror_url() if url is None else None
    if mirror is not None:  # a mirror serves every file as it is, archive members included
        _download(f"{mirror}/{name}", target, spec, timeout)
    elif spec.member is not None:
        _download_from_archive(url or spec.url, target, spec, timeout)
    else:
        _download(url or spec.url, target, spec, timeout)
    return target


def _cached(target: Path, spec: DataFile) -> bool:
    """True if ``target`` is a good cached copy; a damaged one is removed (with a warning) to be fetched again."""
    if not target.is_file():
        return False
    try:
        _verify(target, spec)
        return True
    except ChecksumError as err:
        warnings.warn(f"{err}; removing the damaged cached file and downloading again", stacklevel=3)
        target.unlink()
        return False


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
        response = urllib.request.urlopen(url, timeout=timeout)
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
    def write_checked(tmp: Path) -> None:
        got = _stream_to(url, tmp, f"{spec.name} from {url}", timeout)
        if got != spec.sha256:  # raised before the rename: atomic_write removes the temporary file
            raise ChecksumError(
                f"downloaded {spec.name} from {url} has the wrong sha256: expected {spec.sha256}, "
                f"got {got}; nothing was written to {target}"
            )

    atomic_write(target, write_checked)


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
    # the archive is scratch space, never renamed into place (its checked members are, by atomic_write): a
    # unique temporary file of its own, removed however this ends
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
                    handle = tar.extractfile(f.member) if f.member in names else None
                    if handle is not None:
                        contents[f.name] = _to_utf8(handle.read())
        except (tarfile.TarError, EOFError, OSError) as err:  # gzip.BadGzipFile is an OSError
            raise ChecksumError(
                f"downloaded archive {url} (for {spec.name}) is not a readable tar.gz file: {err}; "
                f"nothing was written to {target.parent}"
            ) from err
        if spec.name not in contents:
            raise OSError(
                f"the archive {url} does not hold {spec.member} (needed for {spec.name}); it holds {sorted(names)[:10]}"
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
            atomic_write(path, functools.partial(Path.write_bytes, data=text))
    finally:
        archive.unlink(missing_ok=True)


#: The committed results of the book's scripts that chapters load (chapters 6-11), with
#: their sha256. A chapter run outside a clone downloads them from the repository's
#: release (:func:`find_results`); tests/test_results.py checks that this table matches
#: the files in ``results/``, so regenerating a result means updating its hash here.
RESULT_FILES: dict[str, str] = {
    "sentiment.json": "0d8bad9d2c6d4c9117d0bfa73ca94b990c0b0a155f690e43f986d85a0aeafc93",
    "ablations.json": "0d31928c0a8faee90e095f2a0392b4813a5544163efab4fd448f39ecd730b80d",
    "lstm_speed_cpu.json": "da92bfd84fe6520fd39bf341012e6da066f0d0bc183798694360cb99bbcd89e0",
    "translation/attention.json": "0bb6e77a1fe7ff18b9ef0151d76fc5b894c064fac9a0e6d442e808069e86746d",
    "translation/attention.pt": "8e182d9f2732a8c82283c5ebebb225a61c582c7942b393f1564becc12a36f48f",
    "word_lm.json": "9fd741f3c36deebdfc7d61fba818b0c1f3bad399f6bf77ed1a6fc97d2fea2865",
    "xlstm_tasks.json": "45e73215f71ca6b1b53e54a20f9b805f2afe4d78aa8572b1234ba43dad96a830",
    "xlstm_lm.json": "6134320fbf7a6f768db3939f7128f2949f3d572f7e36af536409b93d8f97a553",
    "scan_speed_cpu.json": "1b991bc2472f6f98680ca66e719b43fc7522b0d24bd64f392602aa1beecae1fb",
    "forecasting.json": "78de3277a05a59846c7774368dcfa26bddeaf28f7750831bd67ec42b78fa9c8c",
}


def find_results(
    name: str,
    start: str | os.PathLike[str] | None = None,
    *,
    download: bool = True,
    cache: str | os.PathLike[str] | None = None,
    timeout: float = 60.0,
) -> Path:
    """The committed results file ``results/<name>`` of the book's scripts (chapters 6-10).

    Looked for, in this order:

    1. in the folder named by ``LSTM_COMPANION_RESULTS``;
    2. in ``results/`` of ``start`` (default: the current folder) and of each
       of its parents, as when a chapter runs in ``notebooks/`` of a clone;
    3. in the cache (``cache`` or ``LSTM_COMPANION_CACHE``, folder ``results``),
       checked against :data:`RESULT_FILES`;
    4. with ``download`` (the default), downloaded from the repository's release
       (``$LSTM_COMPANION_MIRROR/results/<name>`` when that variable is set)
       into the cache: a temporary file, its sha256 checked against
       :data:`RESULT_FILES`, then renamed. This is how a chapter finds its
       tables on Colab or after a plain ``pip install``.

    Raises :class:`FileNotFoundError` naming every place looked at when the
    file is nowhere and cannot be downloaded.
    """
    if not isinstance(name, str) or not name or Path(name).is_absolute() or ".." in Path(name).parts:
        raise ValueError(f"name must be a relative file name inside results/, got {name!r}")
    check_positive_float("timeout", timeout)
    looked: list[str] = []
    env = os.environ.get(RESULTS_ENV)
    if env:
        path = Path(env) / name
        if path.is_file():
            return path
        looked.append(str(path))
    here = Path.cwd() if start is None else Path(start)
    for folder in (here, *here.resolve().parents):
        path = folder / "results" / name
        if path.is_file():
            return path
        if len(looked) < 4:
            looked.append(str(path))
    sha256 = RESULT_FILES.get(name)
    if sha256 is None:
        raise FileNotFoundError(
            f"results/{name} was not found (looked at {', '.join(looked)}, ...) and is not a published result "
            f"(those are {sorted(RESULT_FILES)}): run its script, or point {RESULTS_ENV} at a folder holding it"
        )
    spec = DataFile(name, "", "", sha256, "a committed result of the book's scripts")
    target = (Path(cache).expanduser() if cache is not None else cache_dir()) / "results" / name
    if _cached(target, spec):
        return target
    base = mirror_url() or release_files_url()
    url = f"{base}/results/{name}"
    if not download:
        raise FileNotFoundError(
            f"results/{name} was not found (looked at {', '.join(looked)}, ... and {target}); "
            f"download=True fetches it from {url}"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        _download(url, target, spec, timeout)
    except (OSError, urllib.error.URLError) as err:
        raise FileNotFoundError(
            f"results/{name} was not found locally (looked at {', '.join(looked)}, ...) and downloading it from "
            f"{url} failed ({err}); run the chapter from a clone, point {RESULTS_ENV} at a folder holding "
            f"{name}, or set {MIRROR_ENV} to a server that has results/{name}"
        ) from err
    return target


def read_json_record(
    path: str | os.PathLike[str], *, what: str = "record", required: Iterable[str] = ()
) -> dict[str, Any]:
    """Read a JSON object from ``path``; a missing, unreadable, damaged or incomplete file raises naming it.

    ``what`` says what the file should be (e.g. ``"translation record"``);
    ``required`` are keys the object must have.
    """
    if path is None or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike naming a JSON {what}, got {type(path).__name__}")
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{p} was not found (expected a JSON {what})")
    try:
        obj = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{p} is not a valid JSON {what} (damaged or truncated?): {err}") from err
    if not isinstance(obj, dict):
        raise ValueError(f"{p} is not a JSON {what}: it holds a {type(obj).__name__}, expected an object")
    check_record_keys(obj, required, where=str(p), what=what)
    return obj
