"""`python -m supplychain ...`: the `supplychain` command, for an environment whose scripts folder
is not on PATH (a notebook's kernel, a cluster job that only knows its interpreter)."""

from .cli import main

if __name__ == "__main__":
    main()
