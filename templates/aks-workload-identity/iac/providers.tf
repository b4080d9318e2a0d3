# Generated once by flux-scaffold, then yours: the providers that
# workload-identity.tf uses, so that `terraform init && terraform validate`
# work in this folder. When you include it in a root module that already
# declares them, delete this file.
terraform {
  required_providers {
    # 4.x: azurerm_federated_identity_credential takes parent_id (5.x renames
    # it user_assigned_identity_id).
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.0"
    }
    # azapi turns on the cluster settings; 2.0 takes the body as an HCL object
    # and exports response values as one.
    azapi = {
      source  = "Azure/azapi"
      version = ">= 2.0"
    }
  }
}

provider "azurerm" {
  features {}
}

provider "azapi" {}
