"""Every boto3 call of Flightdeck: sessions, packaging, parameters, CloudFormation, Lambda, bootstrap."""
