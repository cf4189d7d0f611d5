"""The SMT wing: Z3 encodings of poolDequeue, the lemmas, bounded checks, induction, the cross-check and the runner.

``dequeue_smt`` is the encoding; ``lemmas``, ``bmc`` and ``induction`` prove
over it; ``crosscheck`` ties it to the Python model step by step;
``contracts`` holds the CrossHair contracts; ``rlimit`` the deterministic
budgets; ``prove`` runs every row for ``poolcheck prove``. docs/proofs.md.
"""
