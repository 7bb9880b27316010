"""What drives ``aether compress``: the arithmetic coder, the exact integer forward pass, file
adaptation and the lockstep predictors. This package's own namespace stays torch-free (the CLI
reads ``CODERS`` for its --help)."""

CODERS = ("float", "exact")  # a stream's coder, by index in the header
