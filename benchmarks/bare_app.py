"""The yardstick for webservice_load.py: Flask with one trivial route, served the same way."""
from flask import Flask

app = Flask(__name__)


@app.get("/bare")
def bare() -> tuple[str, int]:
    return "", 204
