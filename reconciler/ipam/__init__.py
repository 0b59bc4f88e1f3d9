"""Cluster IPAM state: where each node's pod CIDRs and next hop come from."""
