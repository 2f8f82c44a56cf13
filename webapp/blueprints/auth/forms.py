from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired


class LoginForm(FlaskForm):
    usr = StringField("Email", validators=[DataRequired(message="Enter your email")])
    pwd = PasswordField("Password", validators=[DataRequired(message="Enter your password")])
    next = HiddenField()


class UpdatePasswordForm(FlaskForm):
    """The page a password-reset link opens (a guest form: Flask-WTF's CSRF token is checked)."""

    key = HiddenField()
    password = PasswordField("New Password", validators=[DataRequired(message="Enter a new password")])
    confirm = PasswordField("Confirm New Password", validators=[DataRequired(message="Enter it again")])
