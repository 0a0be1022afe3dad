using Psm.Web.Features.Admin;

namespace Psm.UnitTests.Features;

public sealed class GeneratedPasswordTests
{
    [Fact]
    public void HasSixteenCharactersOfEveryClassIdentityRequires()
    {
        for (var i = 0; i < 200; i++)
        {
            var password = UserAdministration.GeneratePassword();

            Assert.Equal(16, password.Length);
            Assert.Contains(password, char.IsLower);
            Assert.Contains(password, char.IsUpper);
            Assert.Contains(password, char.IsDigit);
            Assert.Contains(password, c => !char.IsLetterOrDigit(c));
            Assert.DoesNotContain(password, c => "0O1lI".Contains(c));
        }
    }
}
