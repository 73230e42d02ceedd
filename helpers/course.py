"""Facts about the course itself, kept in one place: its repository, version and Colab link."""

__version__ = "0.1.0"

# The GitHub repository the notebooks are published from. The Colab badges and the Colab
# set-up cells of every notebook use it; tests/test_notebooks.py checks they agree.
REPO_SLUG = "seven-steps/mnist-basics"

COLAB_URL = f"https://colab.research.google.com/github/{REPO_SLUG}/blob/main/notebooks/"
PIP_SPEC = f"git+https://github.com/{REPO_SLUG}@v{__version__}"
