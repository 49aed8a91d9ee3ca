"""Gradescope: build the autograder zip, and grade /autograder/submission inside it."""
