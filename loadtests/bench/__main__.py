"""``python -m loadtests.bench [options]`` (``make bench``, ``make bench-quick``)."""

from loadtests.bench.cli import main

if __name__ == "__main__":
    main()
