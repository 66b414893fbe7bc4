"""AWS SAM (iamlint/normalize/cloudformation/sam.py): the roles the transform generates
for functions and state machines are in the graph, from every form of ``Policies``
(managed names and ARNs, inline documents, policy templates expanded offline), with
``Role`` overrides and ``Globals``, and IAM002-IAM008 judge them as warnings."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from iamlint.engine import Options, run
from iamlint.knowledge import action_info
from iamlint.model.graph import Role
from iamlint.model.policy import PolicyDocument
from iamlint.model.values import Known, Unknown, to_python
from iamlint.normalize.cloudformation import load_text
from iamlint.normalize.cloudformation.sam import policy_templates

ROOT = Path(__file__).resolve().parent.parent
HEAD = "Transform: AWS::Serverless-2016-10-31\nResources:\n"


def _function(body: str, name: str = "Fn", kind: str = "AWS::Serverless::Function", head: str = HEAD) -> str:
    return f"{head}  {name}:\n    Type: {kind}\n    Properties:\n      Handler: app.h\n" + body


def _graph(text: str, name: str = "t.yaml"):
    result = load_text(text, name)
    assert result is not None and result.errors == []
    return result.graph


def _role(text: str, address: str = "FnRole") -> Role:
    role = _graph(text).by_address(address)
    assert isinstance(role, Role)
    return role


def _lint(tmp_path: Path, text: str, name: str = "template.yaml"):
    (tmp_path / name).write_text(text)
    return run([str(tmp_path)], Options(cache=False, jobs=1))


def _arns(role: Role) -> list:
    return [v.value if isinstance(v, Known) else v.reason for v in role.managed_policy_arns]


def test_policies_administrator_access_is_iam003_as_a_warning(tmp_path):
    report = _lint(tmp_path, _function("      Policies: AdministratorAccess\n"))
    found = [(f.rule, f.severity.label, f.line, f.column, f.resource) for f in report.findings if f.rule == "IAM003"]
    assert found == [("IAM003", "warning", 7, 17, "FnRole")]
    assert "AdministratorAccess" in report.findings[[f.rule for f in report.findings].index("IAM003")].message


def test_the_same_in_a_json_template(tmp_path):
    template = {"Transform": "AWS::Serverless-2016-10-31", "Resources": {"Fn": {
        "Type": "AWS::Serverless::Function", "Properties": {"Handler": "h", "Policies": ["AdministratorAccess"]}}}}
    report = _lint(tmp_path, json.dumps(template, indent=1), "template.json")
    assert [(f.rule, f.severity.label) for f in report.findings if f.rule == "IAM003"] == [("IAM003", "warning")]


def test_s3_crud_policy_expands_to_its_statements_at_the_template_line():
    role = _role(_function("      Policies:\n        - S3CrudPolicy:\n            BucketName: my-bucket\n"))
    assert len(role.inline_policies) == 1
    document = role.inline_policies[0].document
    assert isinstance(document, PolicyDocument)
    expected = policy_templates()["Templates"]["S3CrudPolicy"]["Definition"]["Statement"]
    assert [[to_python(a) for a in s.actions] for s in document.statements] == [s["Action"] for s in expected]
    assert "s3:DeleteObject" in [to_python(a) for a in document.statements[0].actions]
    assert [to_python(r) for r in document.statements[0].resources] == ["arn:aws:s3:::my-bucket", "arn:aws:s3:::my-bucket/*"]
    # every value of the expansion sits at the policy template's entry (line 8, "S3CrudPolicy")
    spans = {(a.span.line, a.span.column, a.span.end_column) for a in document.statements[0].actions}
    assert spans == {(8, 11, 11 + len("S3CrudPolicy"))}


def test_a_policy_template_finding_is_located_at_the_template_line(tmp_path):
    report = _lint(tmp_path, _function("      Policies:\n        - S3CrudPolicy:\n            BucketName: '*'\n"))
    located = sorted((f.rule, f.severity.label, f.line, f.column) for f in report.findings if f.line == 8)
    assert located == [("IAM007", "warning", 8, 11), ("IAM008", "warning", 8, 11)]


def test_policy_template_parameters_keep_their_references():
    role = _role(_function("      Policies:\n        - SQSPollerPolicy:\n            QueueName: !GetAtt Q.QueueName\n")
                 + "  Q:\n    Type: AWS::SQS::Queue\n")
    resources = role.inline_policies[0].document.statements[0].resources
    assert all(not isinstance(r, Known) or "${" in str(r.value) for r in resources)


def test_sam_template_actions_unknown_to_iam_are_left_out(tmp_path):
    """SQSPollerPolicy lists sqs:DeleteMessageBatch, which IAM does not know (and ignores):
    the data leaves such actions out, so IAM005 does not report SAM's text to the user."""
    data = policy_templates()
    assert "sqs:DeleteMessageBatch" in data["unknown_actions"]["SQSPollerPolicy"]
    for name, template in data["Templates"].items():
        for statement in template["Definition"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert all("*" in a or action_info(a) is not None for a in actions), name
    report = _lint(tmp_path, _function("      Policies:\n        - SQSPollerPolicy:\n            QueueName: q\n"))
    assert [f.rule for f in report.findings if f.rule == "IAM005"] == []


def test_the_data_records_its_source_and_version():
    data = policy_templates()
    assert data["source"] == "aws-sam-translator" and data["version"].count(".") == 2
    assert len(data["Templates"]) > 50 and "S3CrudPolicy" in data["Templates"]


def test_the_maintainer_script_builds_the_data_from_a_wheel(tmp_path):
    import zipfile

    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import update_sam_policy_templates as tool
    finally:
        sys.path.remove(str(ROOT / "tools"))
    wheel = tmp_path / "aws_sam_translator-9.8.7-py3-none-any.whl"
    source = {"Version": "0.0.1", "Templates": {"P": {"Definition": {"Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:NoSuchThing"], "Resource": "*"}]}, "Parameters": {}}}}
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(tool.MEMBER, json.dumps(source))
    output = tmp_path / "out.json"
    assert tool.main(["--wheel", str(wheel), "--output", str(output)]) == 0
    built = json.loads(output.read_text())
    assert built["version"] == "9.8.7" and built["unknown_actions"] == {"P": ["s3:NoSuchThing"]}
    assert built["Templates"]["P"]["Definition"]["Statement"][0]["Action"] == ["s3:GetObject"]


def test_every_form_of_policies():
    role = _role(_function(
        "      Policies:\n"
        "        - AmazonS3ReadOnlyAccess\n"
        "        - arn:aws:iam::123456789012:policy/mine\n"
        "        - !Sub arn:${AWS::Partition}:iam::aws:policy/ReadOnlyAccess\n"
        "        - NotAPolicyAnywhere\n"
        "        - Version: '2012-10-17'\n"
        "          Statement:\n"
        "            - {Effect: Allow, Action: 'sqs:*', Resource: '*'}\n"
        "        - NoSuchTemplate: {}\n"
        "        - DynamoDBCrudPolicy: {}\n"
    ))
    arns = _arns(role)
    assert arns[:1] == ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]  # the transform's own
    assert arns[1:4] == ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "arn:aws:iam::123456789012:policy/mine",
                         "arn:aws:iam::aws:policy/ReadOnlyAccess"]
    assert "'NotAPolicyAnywhere' is not an AWS managed policy iamlint knows" in arns[4]
    documents = [p.document for p in role.inline_policies]
    assert [to_python(a) for a in documents[0].statements[0].actions] == ["sqs:*"]
    assert isinstance(documents[1], Unknown) and "aws-sam-translator" in documents[1].reason
    assert isinstance(documents[2], Unknown) and "misses its parameter TableName" in documents[2].reason
    assert [to_python(p.name) for p in role.inline_policies] == ["FnRolePolicy0", "FnRolePolicy1", "FnRolePolicy2"]


def test_a_managed_name_lives_under_its_real_path():
    role = _role(_function("      Policies: AWSLambdaSQSQueueExecutionRole\n"))
    assert "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole" in _arns(role)


def test_a_default_policy_named_again_is_attached_once_where_it_is_named():
    role = _role(_function("      Policies:\n        - AWSLambdaBasicExecutionRole\n"))
    assert len(role.managed_policy_arns) == 1 and role.managed_policy_arns[0].span.line == 8


def test_the_transforms_own_policies_follow_tracing_and_vpc():
    role = _role(_function("      Tracing: Active\n      VpcConfig: {SubnetIds: [s], SecurityGroupIds: [g]}\n"))
    assert [a.rsplit("/", 1)[-1] for a in _arns(role)] == [
        "AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess", "AWSLambdaVPCAccessExecutionRole"]
    assert len(_role(_function("      Tracing: Disabled\n")).managed_policy_arns) == 1


@pytest.mark.parametrize("role", ["arn:aws:iam::1:role/given", "!GetAtt Given.Arn", "!Ref Param"])
def test_a_role_override_generates_no_role(role, tmp_path):
    text = "Parameters:\n  Param: {Type: String}\n" + _function(f"      Role: {role}\n      Policies: AdministratorAccess\n")
    assert _graph(text).by_address("FnRole") is None
    assert [f.rule for f in _lint(tmp_path, text).findings if f.rule == "IAM003"] == []


def test_a_role_set_to_no_value_still_gets_the_generated_role():
    assert _graph(_function("      Role: !Ref AWS::NoValue\n")).by_address("FnRole") is not None


def test_globals_apply_to_the_generated_role():
    head = ("Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n"
            "    PermissionsBoundary: arn:aws:iam::1:policy/boundary\n    Tracing: Active\n"
            "    AssumeRolePolicyDocument:\n      Statement:\n"
            "        - {Effect: Allow, Principal: {Service: edgelambda.amazonaws.com}, Action: sts:AssumeRole}\n"
            "Resources:\n")
    role = _role(_function("      Tracing: PassThrough\n", head=head))
    assert to_python(role.permissions_boundary) == "arn:aws:iam::1:policy/boundary"
    assert len(role.managed_policy_arns) == 2  # the function's own Tracing wins, and it is not Disabled
    principal = role.trust_policy.statements[0].principals[0]
    assert (principal.kind, to_python(principal.value)) == ("Service", "edgelambda.amazonaws.com")


def test_a_state_machine_gets_a_role_trusting_step_functions(tmp_path):
    text = _function("      Policies:\n        - Statement:\n            - {Effect: Allow, Action: 'lambda:*', Resource: '*'}\n",
                     name="Flow", kind="AWS::Serverless::StateMachine")
    role = _role(text, "FlowRole")
    assert role.managed_policy_arns == ()
    principal = role.trust_policy.statements[0].principals[0]
    assert (principal.kind, to_python(principal.value)) == ("Service", "states.amazonaws.com")
    assert [(f.rule, f.severity.label, f.resource) for f in _lint(tmp_path, text).findings if f.rule == "IAM002"] == [
        ("IAM002", "warning", "FlowRole")]


def test_an_undecided_condition_keeps_both_branches(tmp_path):
    text = ("Conditions:\n  Prod: !Equals [!Ref Env, prod]\nParameters:\n  Env: {Type: String}\n"
            + _function("      Policies:\n        - !If [Prod, AmazonS3ReadOnlyAccess, AdministratorAccess]\n"))
    report = _lint(tmp_path, text)
    assert [(f.rule, f.line) for f in report.findings if f.rule == "IAM003"] == [("IAM003", 12)]
    assert "only when condition Prod is false" in next(f.message for f in report.findings if f.rule == "IAM003")


def test_a_template_resource_named_like_the_generated_role_is_left_alone():
    text = _function("      Policies: AdministratorAccess\n") + "  FnRole:\n    Type: AWS::SQS::Queue\n"
    assert [type(n).__name__ for n in _graph(text).nodes] == ["Resource", "Resource"]


def test_the_fixtures_are_clean_of_errors():
    report = run([str(ROOT / "fixtures" / "sam")], Options(cache=False, jobs=1))
    assert report.errors == [] and report.files == 2
    assert {os.path.basename(f.path) for f in report.findings} == {"bad.yaml", "good.yaml"}


def test_a_policy_template_in_one_branch_names_the_condition(tmp_path):
    text = ("Conditions:\n  Prod: !Equals [!Ref Env, prod]\nParameters:\n  Env: {Type: String}\n"
            + _function("      Policies:\n        - !If [Prod, !Ref AWS::NoValue, {S3CrudPolicy: {BucketName: '*'}}]\n"))
    report = _lint(tmp_path, text)
    found = [(f.rule, f.line) for f in report.findings if f.rule in ("IAM007", "IAM008") and f.line == 12]
    assert sorted(found) == [("IAM007", 12), ("IAM008", 12)]
    assert all("only when condition Prod is false" in f.message for f in report.findings if f.line == 12)


def test_a_dead_letter_queue_and_durable_functions_get_the_transforms_policies():
    role = _role(_function("      DurableConfig: {ExecutionTimeout: 60}\n"
                           "      DeadLetterQueue: {Type: SQS, TargetArn: !GetAtt Dlq.Arn}\n") + "  Dlq:\n    Type: AWS::SQS::Queue\n")
    assert [a.rsplit("/", 1)[-1] for a in _arns(role)] == ["AWSLambdaBasicDurableExecutionRolePolicy"]
    (policy,) = role.inline_policies
    assert to_python(policy.name) == "DeadLetterQueuePolicy" and policy.span.line == 8  # the DeadLetterQueue property
    statement = policy.document.statements[0]
    assert [to_python(a) for a in statement.actions] == ["sqs:SendMessage"]
    assert getattr(statement.resources[0], "address", None) == "Dlq"


def test_the_version_line_names_the_sam_policy_templates():
    from iamlint import knowledge

    assert f"SAM policy templates ({len(policy_templates()['Templates'])}, aws-sam-translator {policy_templates()['version']})" \
        in knowledge.snapshot_info()


def test_a_policy_template_in_json_is_located_at_its_name(tmp_path):
    text = ('{"Transform": "AWS::Serverless-2016-10-31", "Resources": {"Fn": {"Type": "AWS::Serverless::Function",\n'
            ' "Properties": {"Handler": "h", "Policies": [\n'
            '  {\n'
            '   "S3CrudPolicy": {"BucketName": "*"}\n'
            '  }\n'
            ' ]}}}}\n')
    report = _lint(tmp_path, text, "template.json")
    assert sorted((f.rule, f.line, f.column, f.end_column) for f in report.findings if f.rule in ("IAM007", "IAM008")
                  and "inline" in f.message) == [("IAM007", 4, 4, 18), ("IAM008", 4, 4, 18)]


def test_polled_event_sources_add_the_transforms_poller_policies():
    role = _role(_function("      Events:\n"
                           "        Queue: {Type: SQS, Properties: {Queue: !GetAtt Q.Arn}}\n"
                           "        Again: {Type: SQS, Properties: {Queue: !GetAtt Q.Arn}}\n"
                           "        Stream: {Type: Kinesis, Properties: {Stream: arn:aws:kinesis:eu-west-1:1:stream/s}}\n"
                           "        Api: {Type: Api, Properties: {Path: /, Method: get}}\n") + "  Q:\n    Type: AWS::SQS::Queue\n")
    assert [(v.value.rsplit("/", 1)[-1], v.span.line) for v in role.managed_policy_arns] == [
        ("AWSLambdaBasicExecutionRole", 3), ("AWSLambdaSQSQueueExecutionRole", 8), ("AWSLambdaKinesisExecutionRole", 10)]


def test_comments_suppress_the_generated_roles_findings(tmp_path):
    text = _function("      Policies: AdministratorAccess\n").replace(
        "  Fn:\n", "  # iamlint:ignore IAM003, IAM007 -- an admin tool, reviewed in SEC-42\n  Fn:\n")
    text += ("  Other:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: app.h\n"
             "      Policies:\n        # iamlint:ignore IAM003 -- reviewed in SEC-43\n        - AdministratorAccess\n")
    report = _lint(tmp_path, text)
    assert sorted((f.rule, f.resource) for f in report.findings) == [("IAM007", "OtherRole")]
    assert sorted((s.finding.rule, s.finding.resource) for s in report.suppressed) == [
        ("IAM003", "FnRole"), ("IAM003", "OtherRole"), ("IAM007", "FnRole")]
