"""``python -m sklearn_twolayer`` runs the demo."""

from .demo import main

if __name__ == "__main__":
    main()
