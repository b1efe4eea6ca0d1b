import multiprocessing

from desktop.cli import main

# The hub's import starts worker processes (forkserver/spawn); a frozen build re-enters this
# module in each of them, so the program itself starts only under the guard.
if __name__ == "__main__":
    multiprocessing.freeze_support()  # a frozen Windows build re-enters here in each worker
    raise SystemExit(main())
