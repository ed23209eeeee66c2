"""The access log line of a success is skipped only where no handler would write it."""

from __future__ import annotations

import functools
import logging
from types import SimpleNamespace

import pytest
from jupyter_server.log import log_request
from jupyter_server.prometheus.metrics import HTTP_REQUEST_DURATION_SECONDS

from jupyter_chat_ext.core.access_log import debug_shown, log_quietly


@pytest.fixture
def logger():
    # Outside logging's registry, where pytest's own capture handlers do not reach.
    made = logging.Logger("access-log-test", logging.DEBUG)
    made.addHandler(logging.NullHandler(logging.WARNING))
    return made


def test_debug_is_shown_only_by_a_handler_that_takes_it(logger):
    assert not debug_shown(logger)
    logger.addHandler(logging.NullHandler(logging.DEBUG))
    assert debug_shown(logger)
    above_debug = logging.Logger("access-log-test.info", logging.INFO)
    above_debug.addHandler(logging.NullHandler(logging.DEBUG))
    assert not debug_shown(above_debug)


def test_a_parent_that_shows_debug_counts_while_records_propagate(logger):
    child = logging.Logger("access-log-test.handlers")
    child.parent = logger
    logger.handlers[0].setLevel(logging.DEBUG)
    assert debug_shown(child)
    child.propagate = False
    assert not debug_shown(child)


def samples(handler_name: str, status: int) -> float:
    for metric in HTTP_REQUEST_DURATION_SECONDS.collect():
        for sample in metric.samples:
            labels = sample.labels
            if (
                sample.name.endswith("_count")
                and labels["handler"] == handler_name
                and labels["status_code"] == str(status)
            ):
                return sample.value
    return 0.0


class Handler(SimpleNamespace):
    def get_status(self) -> int:
        return self.status


def handler(logger, status=200, function=None):
    request = SimpleNamespace(method="POST", request_time=lambda: 0.002)
    if function is None:
        function = functools.partial(log_request, record_prometheus_metrics=True)
    return Handler(status=status, log=logger, request=request, settings={"log_function": function})


def test_a_quiet_success_still_counts_in_the_request_metrics(logger):
    h = handler(logger)
    name = f"{Handler.__module__}.Handler"
    before = samples(name, 200)
    assert log_quietly(h)
    assert samples(name, 200) == before + 1


@pytest.mark.parametrize(
    "status, function, shown",
    [(404, None, False), (500, None, False), (200, None, True), (200, print, False)],
)
def test_errors_shown_debug_and_other_log_functions_go_to_the_server(
    logger, status, function, shown
):
    if shown:
        logger.addHandler(logging.NullHandler(logging.DEBUG))
    assert not log_quietly(handler(logger, status, function))
