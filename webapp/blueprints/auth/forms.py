from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired


class LoginForm(FlaskForm):
    usr = StringField("Email", validators=[DataRequired(message="Enter your email")])
    pwd = PasswordField("Password", validators=[DataRequired(message="Enter your password")])
    next = HiddenField()
