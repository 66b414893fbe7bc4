"""Parse time of a generated ~1 MB CloudFormation YAML template: iamlint's loader
(PyYAML's C composer + span-keeping conversion) against cfn-flip's pure-Python loader.

    python benchmarks/bench_yaml.py [--size-mb 1.0] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable

RESOURCE = """\
  Role{n}:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub "${{AWS::StackName}}-role-{n}"
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Service: !Sub "ec2.${{AWS::URLSuffix}}"
            Action: sts:AssumeRole
      Policies:
        - PolicyName: app-{n}
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: [s3:GetObject, s3:PutObject, "logs:*"]
                Resource: !Sub "arn:${{AWS::Partition}}:s3:::bucket-{n}/*"
              - !If [IsProd, {{Effect: Allow, Action: "kms:Decrypt", Resource: "*"}}, !Ref AWS::NoValue]
  Profile{n}:
    Type: AWS::IAM::InstanceProfile
    Properties:
      Roles: [!Ref Role{n}]
  Instance{n}:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: !FindInMap [Images, !Ref AWS::Region, Ami]
      InstanceType: t3.micro
      IamInstanceProfile: !Ref Profile{n}
      MetadataOptions: {{HttpTokens: required}}
      Tags:
        - {{Key: Name, Value: !Join ["-", [web, "{n}"]]}}
      UserData:
        Fn::Base64: !Sub |
          #!/bin/bash
          echo "instance {n} in ${{AWS::Region}}" > /etc/motd
"""

HEADER = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env: {Type: String, Default: prod}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Mappings:
  Images:
    eu-west-1: {Ami: ami-0c55b159cbfafe1f0}
Resources:
"""


def generate(size: int) -> str:
    parts = [HEADER]
    total, n = len(HEADER), 0
    while total < size:
        block = RESOURCE.format(n=n)
        parts.append(block)
        total += len(block)
        n += 1
    return "".join(parts)


def best(function: Callable[[], object], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import yaml
    from cfn_flip import load_yaml

    from iamlint.normalize.cloudformation import load_text
    from iamlint.parsers.cloudformation import parse
    from iamlint.parsers.cloudformation.yamlspans import PureCfnLoader, load

    text = generate(int(args.size_mb * 1024 * 1024))
    print(f"template: {len(text) / 1024 / 1024:.2f} MiB, {text.count(chr(10)):,} lines; libyaml: {yaml.__with_libyaml__}")
    rows = [
        ("iamlint (C composer, spans)", lambda: parse(text, "bench.yaml")),
        ("iamlint (pure-Python composer)", lambda: load(text, "bench.yaml", PureCfnLoader)),
        ("cfn-flip load_yaml (pure Python)", lambda: load_yaml(text)),
        ("iamlint parse + graph", lambda: load_text(text, "bench.yaml")),
    ]
    results = {}
    for name, function in rows:
        fastest, median = best(function, args.repeat)
        results[name] = fastest
        print(f"  {name:34} best {fastest * 1000:8.1f} ms   median {median * 1000:8.1f} ms")
    ratio = results["cfn-flip load_yaml (pure Python)"] / results["iamlint (C composer, spans)"]
    print(f"cfn-flip / iamlint parse time: {ratio:.1f}x")


if __name__ == "__main__":
    main()
