"""Conformance of the local AWS sandbox, checked by independent implementations.

  conformance.py calls <sandbox-url>          botocore (a second AWS client) calls every operation the sandbox serves
  conformance.py shapes <sandbox-url> <moto>  the same calls to moto_server and to the sandbox: response key paths
  conformance.py patterns <cases.json>        moto's own EventBridge pattern logic on a shared table of cases
Prints one JSON document on stdout.
"""
import json
import sys
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = "us-east-1"
ACCOUNT = "123456789012"


def client(service, url):
    return boto3.client(
        service, endpoint_url=url, region_name=REGION, aws_access_key_id="sandbox", aws_secret_access_key="sandbox",
        config=Config(retries={"max_attempts": 1}),
    )


def key_paths(value, prefix=""):
    """The shape of a parsed response: every key path, lists as []."""
    paths = set()
    if isinstance(value, dict):
        for key, child in value.items():
            if key == "ResponseMetadata":
                continue
            path = f"{prefix}.{key}" if prefix else key
            paths.add(path)
            paths |= key_paths(child, path)
    elif isinstance(value, list):
        for child in value:
            paths |= key_paths(child, f"{prefix}[]")
    return paths


def attempt(fn):
    try:
        response = fn()
        return {"ok": True, "shape": sorted(key_paths(response)), "response": json.loads(json.dumps(response, default=str))}
    except ClientError as error:
        return {"ok": False, "code": error.response["Error"]["Code"], "message": error.response["Error"].get("Message", ""),
                "status": error.response["ResponseMetadata"]["HTTPStatusCode"]}
    except Exception as error:  # noqa: BLE001 (e.g. moto answering an HTML 500 page)
        return {"ok": False, "code": None, "message": str(error)[:200]}


def calls(url):
    asg, cd, ssm, cw = client("autoscaling", url), client("codedeploy", url), client("ssm", url), client("cloudwatch", url)
    sns, sqs, sfn = client("sns", url), client("sqs", url), client("stepfunctions", url)
    out = {}
    out["AutoScaling.DescribeAutoScalingGroups"] = attempt(lambda: asg.describe_auto_scaling_groups(AutoScalingGroupNames=["web-asg"]))
    out["AutoScaling.DescribeAutoScalingInstances"] = attempt(lambda: asg.describe_auto_scaling_instances(InstanceIds=["i-0abc123def4567890"]))
    out["AutoScaling.SetDesiredCapacity"] = attempt(lambda: asg.set_desired_capacity(AutoScalingGroupName="web-asg", DesiredCapacity=5, HonorCooldown=False))
    out["AutoScaling.SetInstanceHealth"] = attempt(lambda: asg.set_instance_health(InstanceId="i-0a11ce00000000004", HealthStatus="Unhealthy", ShouldRespectGracePeriod=False))
    out["CodeDeploy.GetDeploymentGroup"] = attempt(lambda: cd.get_deployment_group(applicationName="web-app", deploymentGroupName="web-prod"))
    out["CodeDeploy.ListDeployments"] = attempt(lambda: cd.list_deployments(applicationName="web-app", deploymentGroupName="web-prod", includeOnlyStatuses=["Succeeded"]))
    out["CodeDeploy.BatchGetDeployments"] = attempt(lambda: cd.batch_get_deployments(deploymentIds=["d-GOOD00001", "d-OLD000000"]))
    out["CodeDeploy.GetDeployment"] = attempt(lambda: cd.get_deployment(deploymentId="d-GOOD00001"))
    revision = {"revisionType": "S3", "s3Location": {"bucket": "web-app-artifacts", "key": "web-app/1.4.1.zip", "bundleType": "zip"}}
    created = attempt(lambda: cd.create_deployment(applicationName="web-app", deploymentGroupName="web-prod", revision=revision, description="botocore"))
    out["CodeDeploy.CreateDeployment"] = created
    if created["ok"]:
        out["CodeDeploy.StopDeployment"] = attempt(lambda: cd.stop_deployment(deploymentId=created["response"]["deploymentId"], autoRollbackEnabled=True))
    token = str(uuid.uuid4())
    started = attempt(lambda: ssm.start_automation_execution(DocumentName="AWS-RestartEC2Instance", Parameters={"InstanceId": ["i-0badc0ffee00001"]}, ClientToken=token))
    out["SSM.StartAutomationExecution"] = started
    out["SSM.StartAutomationExecution (same ClientToken)"] = attempt(lambda: ssm.start_automation_execution(DocumentName="AWS-RestartEC2Instance", Parameters={"InstanceId": ["i-0badc0ffee00001"]}, ClientToken=token))
    if started["ok"]:
        out["SSM.GetAutomationExecution"] = attempt(lambda: ssm.get_automation_execution(AutomationExecutionId=started["response"]["AutomationExecutionId"]))
    out["SSM.DescribeAutomationExecutions"] = attempt(lambda: ssm.describe_automation_executions(
        Filters=[{"Key": "ExecutionStatus", "Values": ["InProgress"]}, {"Key": "TagKey", "Values": ["selfhealing:incident"]}]))
    out["SSM.DescribeInstanceInformation"] = attempt(lambda: ssm.describe_instance_information(
        Filters=[{"Key": "InstanceIds", "Values": ["i-0badc0ffee00001", "i-00000000000000000"]}]))
    out["SSM.PutParameter"] = attempt(lambda: ssm.put_parameter(Name="/self-healing-local/paused", Value="false", Type="String", Overwrite=True))
    out["SSM.GetParameter"] = attempt(lambda: ssm.get_parameter(Name="/self-healing-local/paused"))
    ddb = client("dynamodb", url)
    out["DynamoDB.UpdateItem"] = attempt(lambda: ddb.update_item(TableName="GuardTable", Key={"target": {"S": "asg:botocore"}}, UpdateExpression="SET lockedBy = :me",
                                                                 ConditionExpression="attribute_not_exists(lockedBy)", ExpressionAttributeValues={":me": {"S": "botocore"}}))
    out["DynamoDB.UpdateItem (condition fails)"] = attempt(lambda: ddb.update_item(TableName="GuardTable", Key={"target": {"S": "asg:botocore"}}, UpdateExpression="SET lockedBy = :me",
                                                                                   ConditionExpression="attribute_not_exists(lockedBy)", ExpressionAttributeValues={":me": {"S": "other"}}))
    out["DynamoDB.GetItem"] = attempt(lambda: ddb.get_item(TableName="GuardTable", Key={"target": {"S": "asg:botocore"}}))
    out["CloudWatch.DescribeAlarms"] = attempt(lambda: cw.describe_alarms(AlarmNames=["web-cpu-high"]))
    out["SNS.Publish"] = attempt(lambda: sns.publish(TopicArn=f"arn:aws:sns:{REGION}:{ACCOUNT}:NotificationTopic", Subject="botocore", Message="hello",
                                                      MessageAttributes={"severity": {"DataType": "String", "StringValue": "info"}}))
    out["SQS.SendMessage"] = attempt(lambda: sqs.send_message(QueueUrl=f"{url}/{ACCOUNT}/IngestDeadLetterQueue", MessageBody='{"hello": "world"}'))
    machine = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:RemediationStateMachine"
    manual = {"action": {"type": "scale-out", "autoScalingGroupName": "web-asg", "step": 1}, "reason": "botocore", "dryRun": True}
    execution = attempt(lambda: sfn.start_execution(stateMachineArn=machine, name="botocore-dry-run", input=json.dumps(manual)))
    out["StepFunctions.StartExecution"] = execution
    out["StepFunctions.StartExecution (same name)"] = attempt(lambda: sfn.start_execution(stateMachineArn=machine, name="botocore-dry-run", input="{}"))
    if execution["ok"]:
        out["StepFunctions.DescribeExecution"] = attempt(lambda: sfn.describe_execution(executionArn=execution["response"]["executionArn"]))
    out["StepFunctions.SendTaskSuccess"] = attempt(lambda: sfn.send_task_success(taskToken="unknown-token", output="{}"))
    out["StepFunctions.SendTaskFailure"] = attempt(lambda: sfn.send_task_failure(taskToken="unknown-token", error="x"))
    out.update(more_calls(url, asg, cw, ssm, cd, sns, sqs, sfn, machine, execution))
    out["AutoScaling.TerminateInstanceInAutoScalingGroup (not served)"] = attempt(
        lambda: asg.terminate_instance_in_auto_scaling_group(InstanceId="i-0abc123def4567890", ShouldDecrementDesiredCapacity=False))
    out["SSM.ListCommands (not served)"] = attempt(lambda: ssm.list_commands())
    return out


def more_calls(url, asg, cw, ssm, cd, sns, sqs, sfn, machine, execution):
    """Filters, pagination, the operations an operator uses around the platform, and AWS's errors."""
    out = {}
    # Auto Scaling
    first = attempt(lambda: asg.describe_auto_scaling_groups(MaxRecords=1))
    out["AutoScaling.DescribeAutoScalingGroups (MaxRecords 1)"] = first
    if first["ok"] and first["response"].get("NextToken"):
        out["AutoScaling.DescribeAutoScalingGroups (NextToken)"] = attempt(
            lambda: asg.describe_auto_scaling_groups(MaxRecords=1, NextToken=first["response"]["NextToken"]))
    out["AutoScaling.DescribeAutoScalingGroups (tag filter)"] = attempt(lambda: asg.describe_auto_scaling_groups(
        Filters=[{"Name": "tag-key", "Values": ["selfhealing:nonexistent-tag"]}]))
    out["AutoScaling.DescribeAutoScalingGroups (unknown name)"] = attempt(lambda: asg.describe_auto_scaling_groups(AutoScalingGroupNames=["no-such-asg"]))
    out["AutoScaling.DescribeInstanceRefreshes"] = attempt(lambda: asg.describe_instance_refreshes(AutoScalingGroupName="web-asg"))
    out["AutoScaling.SetInstanceHealth (Sick)"] = attempt(lambda: asg.set_instance_health(InstanceId="i-0abc123def4567890", HealthStatus="Sick"))
    out["AutoScaling.SetDesiredCapacity (unknown group)"] = attempt(lambda: asg.set_desired_capacity(AutoScalingGroupName="no-such-asg", DesiredCapacity=1))
    # CloudWatch
    out["CloudWatch.PutMetricAlarm"] = attempt(lambda: cw.put_metric_alarm(
        AlarmName="botocore-errors", Namespace="AWS/ApplicationELB", MetricName="HTTPCode_Target_5XX_Count", Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=10, ComparisonOperator="GreaterThanThreshold", Dimensions=[{"Name": "LoadBalancer", "Value": "app/web/1"}]))
    out["CloudWatch.DescribeAlarms (AlarmNamePrefix)"] = attempt(lambda: cw.describe_alarms(AlarmNamePrefix="botocore-"))
    out["CloudWatch.SetAlarmState"] = attempt(lambda: cw.set_alarm_state(AlarmName="botocore-errors", StateValue="ALARM", StateReason="botocore"))
    out["CloudWatch.DescribeAlarms (StateValue ALARM)"] = attempt(lambda: cw.describe_alarms(StateValue="ALARM"))
    out["CloudWatch.DescribeAlarms (AlarmTypes CompositeAlarm)"] = attempt(lambda: cw.describe_alarms(AlarmTypes=["CompositeAlarm"]))
    page = attempt(lambda: cw.describe_alarms(MaxRecords=1))
    out["CloudWatch.DescribeAlarms (MaxRecords 1)"] = page
    if page["ok"] and page["response"].get("NextToken"):
        out["CloudWatch.DescribeAlarms (NextToken)"] = attempt(lambda: cw.describe_alarms(MaxRecords=1, NextToken=page["response"]["NextToken"]))
    out["CloudWatch.SetAlarmState (unknown alarm)"] = attempt(lambda: cw.set_alarm_state(AlarmName="no-such-alarm", StateValue="ALARM", StateReason="x"))
    out["CloudWatch.SetAlarmState (bad state)"] = attempt(lambda: cw.set_alarm_state(AlarmName="botocore-errors", StateValue="BROKEN", StateReason="x"))
    # SSM and CodeDeploy errors
    out["SSM.GetParameter (unknown)"] = attempt(lambda: ssm.get_parameter(Name="/no/such/parameter"))
    out["SSM.PutParameter (exists, no Overwrite)"] = attempt(lambda: ssm.put_parameter(Name="/self-healing-local/paused", Value="false", Type="String"))
    out["SSM.GetAutomationExecution (unknown)"] = attempt(lambda: ssm.get_automation_execution(AutomationExecutionId="00000000-0000-0000-0000-000000000000"))
    out["SSM.StartAutomationExecution (unknown document)"] = attempt(lambda: ssm.start_automation_execution(DocumentName="No-Such-Document"))
    out["CodeDeploy.GetDeploymentGroup (unknown)"] = attempt(lambda: cd.get_deployment_group(applicationName="web-app", deploymentGroupName="no-such-group"))
    out["CodeDeploy.GetDeployment (unknown)"] = attempt(lambda: cd.get_deployment(deploymentId="d-NOSUCH000"))
    out["CodeDeploy.ListTagsForResource"] = attempt(lambda: cd.list_tags_for_resource(
        ResourceArn=f"arn:aws:codedeploy:{REGION}:{ACCOUNT}:deploymentgroup:web-app/web-prod"))
    # SNS and SQS: missing resources
    out["SNS.Publish (unknown topic)"] = attempt(lambda: sns.publish(TopicArn=f"arn:aws:sns:{REGION}:{ACCOUNT}:no-such-topic", Message="x"))
    out["SQS.SendMessage (unknown queue)"] = attempt(lambda: sqs.send_message(QueueUrl=f"{url}/{ACCOUNT}/no-such-queue", MessageBody="x"))
    # Step Functions: what an operator reads, and bad input
    out["StepFunctions.ListStateMachines"] = attempt(lambda: sfn.list_state_machines())
    out["StepFunctions.DescribeStateMachine"] = attempt(lambda: sfn.describe_state_machine(stateMachineArn=machine))
    out["StepFunctions.DescribeStateMachine (unknown)"] = attempt(lambda: sfn.describe_state_machine(stateMachineArn=machine + "Nope"))
    out["StepFunctions.ListExecutions"] = attempt(lambda: sfn.list_executions(stateMachineArn=machine))
    out["StepFunctions.ListExecutions (statusFilter, maxResults 1)"] = attempt(
        lambda: sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING", maxResults=1))
    if execution["ok"]:
        out["StepFunctions.GetExecutionHistory"] = attempt(lambda: sfn.get_execution_history(executionArn=execution["response"]["executionArn"], maxResults=3))
    out["StepFunctions.GetExecutionHistory (unknown)"] = attempt(lambda: sfn.get_execution_history(executionArn=machine.replace(":stateMachine:", ":execution:") + ":nope"))
    out["StepFunctions.DescribeExecution (unknown)"] = attempt(lambda: sfn.describe_execution(executionArn=machine.replace(":stateMachine:", ":execution:") + ":nope"))
    out["StepFunctions.StartExecution (invalid input)"] = attempt(lambda: sfn.start_execution(stateMachineArn=machine, name="botocore-bad-input", input="{not json"))
    out["StepFunctions.StartExecution (invalid name)"] = attempt(lambda: sfn.start_execution(stateMachineArn=machine, name="has spaces", input="{}"))
    out["StepFunctions.StartExecution (unknown machine)"] = attempt(lambda: sfn.start_execution(stateMachineArn=machine + "Nope", input="{}"))
    return out


def seed_moto(url):
    """The same names in moto, created through its own APIs."""
    ec2, asg, cw = client("ec2", url), client("autoscaling", url), client("cloudwatch", url)
    cd, sns, sqs = client("codedeploy", url), client("sns", url), client("sqs", url)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    asg.create_launch_configuration(LaunchConfigurationName="web-lc", ImageId=image, InstanceType="t3.micro")
    asg.create_auto_scaling_group(AutoScalingGroupName="web-asg", LaunchConfigurationName="web-lc", MinSize=2, MaxSize=10, DesiredCapacity=4,
                                  AvailabilityZones=[f"{REGION}a"])
    cw.put_metric_alarm(AlarmName="web-cpu-high", Namespace="AWS/EC2", MetricName="CPUUtilization", Statistic="Average", Period=60, EvaluationPeriods=2,
                        Threshold=80, ComparisonOperator="GreaterThanThreshold", Dimensions=[{"Name": "AutoScalingGroupName", "Value": "web-asg"}])
    cd.create_application(applicationName="web-app", computePlatform="Server")
    cd.create_deployment_group(applicationName="web-app", deploymentGroupName="web-prod", serviceRoleArn=f"arn:aws:iam::{ACCOUNT}:role/codedeploy")
    deployment = cd.create_deployment(applicationName="web-app", deploymentGroupName="web-prod",
                                      revision={"revisionType": "S3", "s3Location": {"bucket": "web-app-artifacts", "key": "web-app/1.4.1.zip", "bundleType": "zip"}})
    topic = sns.create_topic(Name="NotificationTopic")["TopicArn"]
    queue = sqs.create_queue(QueueName="IngestDeadLetterQueue")["QueueUrl"]
    instance = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["web-asg"])["AutoScalingGroups"][0]["Instances"][0]["InstanceId"]
    return {"deploymentId": deployment["deploymentId"], "topic": topic, "queue": queue, "instance": instance}


def read_calls(url, ids):
    asg, cd, cw, sns, sqs = client("autoscaling", url), client("codedeploy", url), client("cloudwatch", url), client("sns", url), client("sqs", url)
    return {
        "AutoScaling.DescribeAutoScalingGroups": attempt(lambda: asg.describe_auto_scaling_groups(AutoScalingGroupNames=["web-asg"])),
        "AutoScaling.DescribeAutoScalingInstances": attempt(lambda: asg.describe_auto_scaling_instances(InstanceIds=[ids["instance"]])),
        "AutoScaling.SetDesiredCapacity": attempt(lambda: asg.set_desired_capacity(AutoScalingGroupName="web-asg", DesiredCapacity=5, HonorCooldown=False)),
        "AutoScaling.SetInstanceHealth": attempt(lambda: asg.set_instance_health(InstanceId=ids["instance"], HealthStatus="Unhealthy", ShouldRespectGracePeriod=False)),
        "CloudWatch.DescribeAlarms": attempt(lambda: cw.describe_alarms(AlarmNames=["web-cpu-high"])),
        "CodeDeploy.GetDeploymentGroup": attempt(lambda: cd.get_deployment_group(applicationName="web-app", deploymentGroupName="web-prod")),
        "CodeDeploy.ListDeployments": attempt(lambda: cd.list_deployments(applicationName="web-app", deploymentGroupName="web-prod")),
        "CodeDeploy.GetDeployment": attempt(lambda: cd.get_deployment(deploymentId=ids["deploymentId"])),
        "CodeDeploy.BatchGetDeployments": attempt(lambda: cd.batch_get_deployments(deploymentIds=[ids["deploymentId"]])),
        "SNS.Publish": attempt(lambda: sns.publish(TopicArn=ids["topic"], Subject="botocore", Message="hello")),
        "SQS.SendMessage": attempt(lambda: sqs.send_message(QueueUrl=ids["queue"], MessageBody='{"hello": "world"}')),
    }


def error_calls(url):
    """Calls on missing resources and bad input: the error code and HTTP status each implementation gives."""
    asg, cd, cw, ssm = client("autoscaling", url), client("codedeploy", url), client("cloudwatch", url), client("ssm", url)
    sns, sqs, sfn = client("sns", url), client("sqs", url), client("stepfunctions", url)
    machine = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:NoSuchMachine"
    return {
        "AutoScaling.SetDesiredCapacity (unknown group)": attempt(lambda: asg.set_desired_capacity(AutoScalingGroupName="no-such-asg", DesiredCapacity=1)),
        "CloudWatch.SetAlarmState (unknown alarm)": attempt(lambda: cw.set_alarm_state(AlarmName="no-such-alarm", StateValue="ALARM", StateReason="x")),
        "SSM.GetParameter (unknown)": attempt(lambda: ssm.get_parameter(Name="/no/such/parameter")),
        "CodeDeploy.GetDeployment (unknown)": attempt(lambda: cd.get_deployment(deploymentId="d-NOSUCH000")),
        "SNS.Publish (unknown topic)": attempt(lambda: sns.publish(TopicArn=f"arn:aws:sns:{REGION}:{ACCOUNT}:no-such-topic", Message="x")),
        "SQS.SendMessage (unknown queue)": attempt(lambda: sqs.send_message(QueueUrl=f"{url}/{ACCOUNT}/no-such-queue", MessageBody="x")),
        "StepFunctions.StartExecution (unknown machine)": attempt(lambda: sfn.start_execution(stateMachineArn=machine, input="{}")),
        "StepFunctions.DescribeStateMachine (unknown)": attempt(lambda: sfn.describe_state_machine(stateMachineArn=machine)),
        "StepFunctions.DescribeExecution (unknown)": attempt(lambda: sfn.describe_execution(
            executionArn=f"arn:aws:states:{REGION}:{ACCOUNT}:execution:NoSuchMachine:nope")),
    }


def shapes(sandbox_url, moto_url):
    moto_ids = seed_moto(moto_url)
    sandbox_ids = {"deploymentId": "d-GOOD00001", "topic": f"arn:aws:sns:{REGION}:{ACCOUNT}:NotificationTopic",
                   "queue": f"{sandbox_url}/{ACCOUNT}/IngestDeadLetterQueue", "instance": "i-0abc123def4567890"}
    return {"moto": read_calls(moto_url, moto_ids), "sandbox": read_calls(sandbox_url, sandbox_ids),
            "motoErrors": error_calls(moto_url), "sandboxErrors": error_calls(sandbox_url)}


def patterns(path):
    from moto.events.models import EventPattern
    table = json.load(open(path))
    return [{"name": case["name"], "moto": EventPattern.load(json.dumps(case["pattern"])).matches_event(table["event"])} for case in table["cases"]]


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "calls":
        result = calls(sys.argv[2])
    elif mode == "shapes":
        result = shapes(sys.argv[2], sys.argv[3])
    else:
        result = patterns(sys.argv[2])
    json.dump(result, sys.stdout, default=str)
