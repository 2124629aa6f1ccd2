"""The placement job reports its progress while the solver works, not only at the end."""

from __future__ import annotations

import pytest

from merchant.models import Job
from merchant.placement import pmedian
from merchant.services import jobs, placement


@pytest.mark.django_db
def test_a_plan_job_records_progress_between_the_start_and_the_end(shop, monkeypatch):
    merchant = shop[0]
    recorded: list[tuple[int, str]] = []
    write = jobs.Progress._write

    def record(self, **fields):
        write(self, **fields)
        # What a polling page reads: the row, as written.
        recorded.append(Job.objects.values_list("done", "message").get(pk=self.job.pk))

    monkeypatch.setattr(jobs.Progress, "_write", record)
    plan = placement.request_plan(merchant=merchant, params=placement.PlanParams(k=1))
    jobs.run_job(plan.job_id)

    plan.refresh_from_db()
    assert plan.status == "ready"
    solving = [(done, message) for done, message in recorded if 10 < done < 90]
    assert solving, f"no progress recorded while solving: {recorded}"
    assert any(message.startswith("Lagrangian bound") for _, message in solving)
    assert [done for done, _ in recorded] == sorted(done for done, _ in recorded)


class FakeHighs:
    """Stands in for highspy.Highs: solving takes `rounds` waits."""

    def __init__(self, rounds: int) -> None:
        self.rounds = rounds
        self.started = self.cancelled = False

    def startSolve(self) -> None:
        self.started = True

    def wait(self, timeout: float) -> tuple[bool, None]:
        self.rounds -= 1
        return (self.rounds <= 0, None)

    def cancelSolve(self) -> None:
        self.cancelled = True

    def joinSolve(self) -> None:
        pass


def test_the_mip_reports_progress_on_the_calling_thread_while_highs_solves():
    highs = FakeHighs(rounds=4)
    ticks: list[int] = []
    pmedian._run_until(highs, deadline=pmedian.perf_counter() + 600, tick=lambda: ticks.append(1))
    assert highs.started and not highs.cancelled
    assert len(ticks) == 3  # one per wait that found HiGHS still running


def test_a_phase_start_is_reported_even_right_after_the_previous_one():
    calls: list[tuple[float, str]] = []
    report = pmedian._Reporter(lambda f, m: calls.append((f, m)), pmedian.perf_counter(), 600)
    report(0.0, "greedy construction")
    report(0.05, "Lagrangian bound")
    report.tick()  # the same phase again at once: throttled
    assert [m for _, m in calls] == ["greedy construction", "Lagrangian bound"]
