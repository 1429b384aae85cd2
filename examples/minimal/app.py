"""A minimal Flask app with the Dockerflow extension (placeholder for the example service)."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index() -> str:
    return "hello"
