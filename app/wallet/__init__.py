"""Cards as wallet passes: rendering, and marking cards changed so phones hear of it."""
