from __future__ import annotations

from pathlib import Path

import pytest

from briefer.errors import TopicError
from briefer.render import default_template_dir
from briefer.topics import list_topics, load_topic, parse_topic


def test_shipped_topic_has_at_least_five_sections():
    topic = load_topic("export-controls", [default_template_dir()])
    assert topic.title and len(topic.sections) >= 5
    assert all(s.question.endswith("?") for s in topic.sections)


def test_user_dir_shadows_shipped(tmp_path):
    (tmp_path / "topics").mkdir()
    (tmp_path / "topics" / "export-controls.toml").write_text('title = "Mine"\n[[sections]]\ntitle = "A"\nquestion = "Q?"\n')
    found = list_topics([tmp_path, default_template_dir()])
    assert found["export-controls"].parent == tmp_path / "topics"
    assert load_topic("export-controls", [tmp_path, default_template_dir()]).title == "Mine"


@pytest.mark.parametrize(
    "content, needle",
    [
        ('title = "T"\n[[sections]\ntitle = "A"\n', "line 2"),  # syntax error
        ('title = "T"\nsections = []\n', "no sections"),
        ('title = "T"\n', "no sections"),
        ('title = "T"\ncolour = "red"\n[[sections]]\ntitle = "A"\nquestion = "Q?"\n', ":2: unknown key 'colour'"),
        ('title = "T"\n[[sections]]\ntitle = "A"\nquestoin = "Q?"\n', ":4: unknown key 'questoin'"),
        ('title = "T"\n[[sections]]\ntitle = "A"\n', "needs a 'question'"),
        ('[[sections]]\ntitle = "A"\nquestion = "Q?"\n', "non-empty 'title'"),
    ],
)
def test_malformed_topics_name_file_and_problem(tmp_path: Path, content, needle):
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(TopicError) as info:
        parse_topic(path)
    assert str(path) in str(info.value) and needle in str(info.value)


def test_unknown_topic_lists_known_ones():
    with pytest.raises(TopicError, match="Known topics: .*export-controls"):
        load_topic("nope", [default_template_dir()])
