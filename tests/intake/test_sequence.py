"""Named sequences: consecutive, per name, and given back when the transaction rolls back."""

import threading

import pytest
from django.db import connection, transaction

from intake.models import Sequence


@pytest.mark.django_db
def test_sequences_count_per_name():
    assert [Sequence.next("a"), Sequence.next("a"), Sequence.next("b")] == [1, 2, 1]


@pytest.mark.django_db
def test_a_rolled_back_number_is_given_again():
    Sequence.next("day")
    with pytest.raises(RuntimeError), transaction.atomic():
        assert Sequence.next("day") == 2
        raise RuntimeError
    assert Sequence.next("day") == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_transactions_get_distinct_consecutive_numbers():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL's row locks")
    numbers: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def take() -> None:
        try:
            barrier.wait()
            for _ in range(5):
                with transaction.atomic():
                    value = Sequence.next("race")
                with lock:
                    numbers.append(value)
        finally:
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(numbers) == list(range(1, 41))
