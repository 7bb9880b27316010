"""Safe loading and identification of files and images, one module per job: ``kinds``
(detection), ``load`` (files), ``images`` (decoding), ``save`` (outputs), ``tensors`` (model
input).

Kinds come from content, never from the name alone: a ``.png`` that holds text is text. The kinds
:func:`detect_kind` returns:

- signatures: ``png jpeg gif webp bmp wav pdf zip gzip``;
- ``compressed``: a compressed stream without a more specific kind (zlib, xz, bzip2, zstd);
- ``json`` (an object or array that parses), ``text`` (UTF-8 with few control characters);
- ``random``: high byte entropy, incompressible, no signature. Encrypted data, random bytes and
  compressed data without a header are indistinguishable by content, so they share this kind;
- ``structured-binary``: any other binary (executables, tables, short or low-entropy data);
- ``empty``.

Images are decoded with Pillow under explicit limits (bytes, pixels, formats) and any failure is
an :class:`ImageError` naming the source, never a Pillow traceback.
"""

from .errors import FileError, ImageError
from .images import IMAGE_FORMATS, MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, load_image
from .kinds import EXTENSIONS, HIGH_ENTROPY, byte_entropy, detect_kind
from .load import MAX_FILE_BYTES, MB, load_file
from .save import save_output
from .tensors import image_to_tensor, tensor_to_image, to_model_image

__all__ = [
    "EXTENSIONS",
    "HIGH_ENTROPY",
    "IMAGE_FORMATS",
    "MAX_FILE_BYTES",
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "MB",
    "FileError",
    "ImageError",
    "byte_entropy",
    "detect_kind",
    "image_to_tensor",
    "load_file",
    "load_image",
    "save_output",
    "tensor_to_image",
    "to_model_image",
]
