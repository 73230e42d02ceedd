"""``python -m helpers.exercises``: every exercise, one line each, as ``NN name``."""

from helpers.exercises import exercises

for exercise in exercises():
    print(f"{exercise.notebook} {exercise.name}")
