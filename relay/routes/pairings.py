"""TODO"""
API = ()
