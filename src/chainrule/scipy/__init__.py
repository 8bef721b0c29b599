"""``chainrule.scipy``: differentiable parts of SciPy. (Being built: issue 4.)"""
