"""The private core of metaloss. Import from the public modules (``metaloss``,
``metaloss._src.problems``, ...) instead: names here may move without notice."""
