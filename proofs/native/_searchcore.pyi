from typing import Any

T_EN: int
T_CRASH: int
T_DEP: int
MAX_THREADS: int

def search(oracle: Any, groups: list[list[int]], m0: int, g0: int, fields0: list[int], max_states: int = 0,
           compact: bool = False, progress_every: float = 0.25) -> dict[str, Any]: ...
