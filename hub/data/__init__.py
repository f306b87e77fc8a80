"""Package data: domain lexicon, sales signals, material grades and the sample plant's library."""
