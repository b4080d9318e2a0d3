# Generated once by flux-scaffold, then yours: the providers that
# flux-configuration.tf uses, so that `terraform init && terraform validate`
# work in this folder. When you include flux-configuration.tf in a root module
# that already declares them, delete this file.
terraform {
  required_providers {
    azurerm = {
      source = "hashicorp/azurerm"
    }
    # azapi sets the cluster's pod identity exceptions (AKS add-on only);
    # 2.0 takes the request body as an HCL object.
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
