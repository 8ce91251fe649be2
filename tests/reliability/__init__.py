"""The reliability catalogue's trials: bad input and injected faults, each trial judged against an independent
oracle (a second reading of a file format, the original bytes, or a hand-written table of cases).

- `common`: the outcome of a trial and the small helpers every topic uses;
- `idx`: IDX files (random headers, damaged gzip streams);
- `checkpoints`: checkpoints (flipped bytes, cuts, foreign pickles, other architectures, a full disk on save);
- `running`: faults while training (SIGKILL then resume, a corrupt download cache, NaN at a random step);
- `inputs`: wrong values for TrainConfig, LatentSpec and the command line, and the tables that judge them;
- `folders`: `train --dataset folder:PATH` on good and bad folders of images, and the table that judges them;
- `catalogue`: the fault classes and `run_class`, which `benchmarks/reliability.py` prints as a table.

The modules import nothing from this package's `__init__`, so that the SIGKILL worker starts quickly.
"""
