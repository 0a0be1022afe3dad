using System.ComponentModel.DataAnnotations;
using Psm.Web.Features.Customers;
using Psm.Web.Infrastructure.Http;

namespace Psm.UnitTests.Infrastructure;

public sealed class RowValidatorTests
{
    private static List<(string Field, string Message)> Errors(CustomerInput input)
    {
        var errors = new List<(string, string)>();
        RowValidator<CustomerInput>.Instance.Validate(input, (field, message) => errors.Add((field, message)));
        return errors;
    }

    [Fact]
    public void AcceptsAValidRow()
    {
        var valid = new CustomerInput { Name = "Maple Bank", Email = "a@maple.example", Country = "CA", Employees = 12 };

        Assert.True(RowValidator<CustomerInput>.Instance.Validate(valid, (_, _) => Assert.Fail("no error expected")));
    }

    [Fact]
    public void ReportsEachBrokenRuleWithTheAttributesOwnMessage()
    {
        var errors = Errors(new CustomerInput { Name = "", Email = "nope", Country = "Canada", Employees = 0 });

        Assert.Contains(("Name", "Name is required."), errors);
        Assert.Contains(("Email", "Email must be an email address."), errors);
        Assert.Contains(("Country", "Country must be a two-letter ISO code such as DE or US."), errors);
        Assert.Contains(("Employees", "Employees must be between 1 and 10,000,000."), errors);
        Assert.Equal(4, errors.Count);
    }

    [Fact]
    public void ReportsOnlyThatARequiredValueIsMissing()
    {
        var errors = Errors(new CustomerInput { Name = "A", Email = "", Country = "DE" });

        Assert.Equal([("Email", "Email is required.")], errors);
    }

    [Theory]
    [InlineData("", "x@example.com", "DE", 1)]
    [InlineData("A", "x@example.com", "D", 1)]
    [InlineData("A", "x@", "DE", 1)]
    [InlineData("A", "x@example.com", "DE", -1)]
    [InlineData("A", "x@example.com", "de", 5)]
    public void AgreesWithTheFrameworksValidator(string name, string email, string country, int employees)
    {
        var input = new CustomerInput { Name = name, Email = email, Country = country, Employees = employees };
        var framework = new List<ValidationResult>();
        Validator.TryValidateObject(input, new ValidationContext(input), framework, validateAllProperties: true);

        var ours = Errors(input);

        Assert.Equal(framework.Select(r => (r.MemberNames.Single(), r.ErrorMessage!)).Order(), ours.Order());
    }
}
