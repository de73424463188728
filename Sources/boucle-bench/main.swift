print("boucle-bench: not written yet")
