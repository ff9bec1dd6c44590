#!/usr/bin/env python3
"""Prints template.yaml after the SAM transform, as CloudFormation JSON (what AWS deploys).

Uses aws-sam-translator, the library behind the AWS::Serverless transform (and cfn-lint). SAM policy
templates (SQSSendMessagePolicy, ...) expand to their real IAM statements; AWS managed policies stay
ARNs (their names are printed as they are, with no call to IAM).
  python3 scripts/sam_translate.py [template.yaml]
"""
import json
import os
import sys

from cfnlint.decode import decode
from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform


class OfflinePolicyLoader(ManagedPolicyLoader):
    """Managed policy names resolve to their ARNs without asking IAM (the machine has no AWS access)."""

    def __init__(self):  # pylint: disable=super-init-not-called
        self._policy_map = None

    def load(self):
        return {}


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else 'template.yaml'
    template, errors = decode(path)
    if errors or template is None:
        sys.exit(f'sam_translate: cannot read {path}: {errors}')
    # What `sam package` does before the transform runs on AWS: local code becomes S3 objects.
    for logical_id, resource in template.get('Resources', {}).items():
        props = resource.get('Properties', {})
        if resource.get('Type') == 'AWS::Serverless::Function' and isinstance(props.get('CodeUri', '.'), str):
            props['CodeUri'] = f's3://sam-artifacts/{logical_id}.zip'
        if resource.get('Type') == 'AWS::Serverless::StateMachine' and isinstance(props.get('DefinitionUri'), str):
            props['DefinitionUri'] = f's3://sam-artifacts/{logical_id}.asl.json'
    # The transform asks for a Region only to fill AWS::Region in a few ARNs it builds itself.
    os.environ.setdefault('AWS_DEFAULT_REGION', 'us-east-1')
    translated = transform(template, {}, OfflinePolicyLoader())
    json.dump(translated, sys.stdout, indent=1, default=str)


if __name__ == '__main__':
    main()
