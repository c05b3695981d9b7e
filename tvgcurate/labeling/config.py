"""The labeling config shown to annotators, and the names of its controls.

One task shows the video with a timeline (``<Video>`` + ``<TimelineLabels>``), the query, a
verdict and a text area for a rewritten query. The video's frame rate comes from the task
(``frameRate="$fps"``): Label Studio counts timeline ranges in frames, and a wrong fps
would shift every boundary.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

# control and object names: the result JSON refers to them as from_name / to_name
VIDEO = "video"
QUERY = "query"
MOMENT = "moment"
MOMENT_LABEL = "Moment"
VERDICT = "verdict"
REWRITE = "rewrite"

# the verdict choices as annotators see them -> the codes stored in the labels table
VERDICTS: dict[str, str] = {
    "relevant": "relevant",
    "partially relevant": "partial",
    "irrelevant": "irrelevant",
    "query unclear": "unclear",
}
VERDICT_CHOICE = {code: text for text, code in VERDICTS.items()}

# the keys of a task's data
TASK_KEYS = ("sample_id", "video", "query", "fps", "duration_s", "sample_hash", "video_id")

INSTRUCTIONS = (
    "Mark every moment that matches the query on the timeline (select Moment, then drag), "
    "pick a verdict, and rewrite the query only if it is wrong or ambiguous."
)


def labeling_config(instructions: str = INSTRUCTIONS) -> str:
    """The Label Studio labeling config XML used by every relabel project."""
    return f"""<View>
  <Header value="Query"/>
  <Text name="{QUERY}" value="$query"/>
  <Video name="{VIDEO}" value="$video" frameRate="$fps" timelineHeight="90"/>
  <TimelineLabels name="{MOMENT}" toName="{VIDEO}">
    <Label value="{MOMENT_LABEL}" background="#1f77b4"/>
  </TimelineLabels>
  <Header value="Does the video show what the query says?" size="5"/>
  <Choices name="{VERDICT}" toName="{VIDEO}" choice="single-radio" showInline="true" required="true">
{_choices()}
  </Choices>
  <Header value="Rewritten query (leave empty when the query is fine)" size="5"/>
  <TextArea name="{REWRITE}" toName="{QUERY}" rows="2" maxSubmissions="1" editable="true"
            placeholder={quoteattr("e.g. a man in a red coat opens the car door")}/>
  <Header value={quoteattr(instructions)} size="6"/>
  <Text name="sample" value="$sample_id"/>
</View>
"""


def _choices() -> str:
    return "\n".join(f'    <Choice value="{text}"/>' for text in VERDICTS)
